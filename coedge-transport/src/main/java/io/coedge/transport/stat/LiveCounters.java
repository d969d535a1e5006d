package io.coedge.transport.stat;

import io.aeron.CncFileDescriptor;
import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads the CoEdge counters of running processes from their Aeron counters files, without joining them:
 * what {@code coedge stat} prints and what the planner samples for measured rates. Totals are read; rates
 * come from two snapshots ({@link #rates}).
 */
public final class LiveCounters implements AutoCloseable {
    /** One counter value. {@code subject} is the layer type ("Conv", "all") or the peer of a link. */
    public record Sample(String process, int typeId, String what, String subject, long value) {
        /** A stable key for matching samples across snapshots. */
        public String key() {
            return process + " " + typeId + " " + what + " " + subject;
        }
    }

    private final String dir;
    private final MappedByteBuffer cnc;
    private final CountersReader reader;

    private LiveCounters(String dir, MappedByteBuffer cnc, CountersReader reader) {
        this.dir = dir;
        this.cnc = cnc;
        this.reader = reader;
    }

    /** Opens the counters of the process whose Aeron directory is {@code aeronDir}; a clear error if none runs there. */
    public static LiveCounters open(String aeronDir) {
        File f = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!f.isFile()) {
            throw new IllegalArgumentException("no CoEdge process is running with directory " + aeronDir + " (no "
                    + CncFileDescriptor.CNC_FILE + ")");
        }
        MappedByteBuffer cnc = IoUtil.mapExistingFile(f, FileChannel.MapMode.READ_ONLY, "cnc");
        UnsafeBuffer meta = CncFileDescriptor.createMetaDataBuffer(cnc);
        int version = meta.getInt(CncFileDescriptor.cncVersionOffset(0));
        try {
            CncFileDescriptor.checkVersion(version);
        } catch (RuntimeException e) {
            IoUtil.unmap(cnc);
            throw new IllegalArgumentException("counters file in " + aeronDir + " has an incompatible version: " + e.getMessage());
        }
        CountersReader r = new CountersReader(CncFileDescriptor.createCountersMetaDataBuffer(cnc, meta),
                CncFileDescriptor.createCountersValuesBuffer(cnc, meta));
        return new LiveCounters(aeronDir, cnc, r);
    }

    /** Aeron directories of the processes under {@code baseDir} (one per embedded driver). */
    public static List<String> processDirs(String baseDir) {
        List<String> out = new ArrayList<>();
        File[] subs = new File(baseDir).listFiles();
        if (subs != null) {
            java.util.Arrays.sort(subs);
            for (File d : subs) {
                if (new File(d, CncFileDescriptor.CNC_FILE).isFile()) {
                    out.add(d.getPath());
                }
            }
        }
        return out;
    }

    public String directory() {
        return dir;
    }

    /** The CoEdge counters allocated now. */
    public List<Sample> snapshot() {
        List<Sample> out = new ArrayList<>();
        reader.forEach((id, typeId, key, label) -> {
            if (!CounterTypes.isCoEdge(typeId) || reader.getCounterState(id) != CountersReader.RECORD_ALLOCATED) {
                return;
            }
            String[] parts = label.split(" ", 4);
            if (parts.length < 3 || !parts[0].equals("coedge")) {
                return;
            }
            String what = parts[2];
            String subject = parts.length == 4 ? parts[3] : "";
            out.add(new Sample(parts[1], typeId, what, subject, reader.getCounterValue(id)));
        });
        return out;
    }

    /** Per-second rates of every counter present in both snapshots taken {@code intervalNs} apart. */
    public static Map<String, Double> rates(List<Sample> before, List<Sample> after, long intervalNs) {
        Map<String, Long> b = new LinkedHashMap<>();
        before.forEach(s -> b.put(s.key(), s.value()));
        Map<String, Double> out = new LinkedHashMap<>();
        for (Sample s : after) {
            Long v = b.get(s.key());
            if (v != null && intervalNs > 0) {
                out.put(s.key(), (s.value() - v) * 1e9 / intervalNs);
            }
        }
        return out;
    }

    /**
     * Measured compute rate per layer type, FLOP/s, over everything counted so far: FLOPs / compute time.
     * The planner's {@code f_i}. Types with no time yet are absent.
     */
    public Map<String, Double> computeRates() {
        Map<String, Long> ns = new LinkedHashMap<>();
        Map<String, Long> flops = new LinkedHashMap<>();
        for (Sample s : snapshot()) {
            if (s.typeId() == CounterTypes.COMPUTE_NS) {
                ns.merge(s.subject(), s.value(), Long::sum);
            } else if (s.typeId() == CounterTypes.FLOPS) {
                flops.merge(s.subject(), s.value(), Long::sum);
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        ns.forEach((type, t) -> {
            Long f = flops.get(type);
            if (f != null && t > 0) {
                out.put(type, f * 1e9 / t);
            }
        });
        return out;
    }

    @Override
    public void close() {
        IoUtil.unmap(cnc);
    }
}
