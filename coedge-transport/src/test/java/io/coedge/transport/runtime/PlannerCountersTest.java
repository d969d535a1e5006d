package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.coedge.planner.LiveCounters.Sample;
import io.coedge.transport.stat.CounterTypes;
import io.coedge.transport.stat.LiveCounters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlannerCountersTest {
    /** Fake totals of one process, changed by the test between reads. */
    static final class Fake implements PlannerCounters.Source {
        final String process;
        long flops;
        long computeNs;
        long bytes;
        long waitNs;
        /** Warm by default: past the warm-up that leaves a process's first inferences unmeasured. */
        long inferences = 100;
        boolean gone;

        Fake(String process) {
            this.process = process;
        }

        @Override
        public List<LiveCounters.Sample> snapshot() {
            if (gone) {
                throw new IllegalArgumentException("no CoEdge process is running");
            }
            List<LiveCounters.Sample> s = new ArrayList<>();
            s.add(new LiveCounters.Sample(process, CounterTypes.FLOPS, "flops", "all", flops));
            s.add(new LiveCounters.Sample(process, CounterTypes.FLOPS, "flops", "conv3x3", flops / 2)); // not double-counted
            s.add(new LiveCounters.Sample(process, CounterTypes.COMPUTE_NS, "compute-ns", "all", computeNs));
            s.add(new LiveCounters.Sample(process, CounterTypes.LINK_BYTES_RECEIVED, "bytes-received", "a", bytes / 4));
            s.add(new LiveCounters.Sample(process, CounterTypes.LINK_BYTES_RECEIVED, "bytes-received", "b", bytes - bytes / 4));
            s.add(new LiveCounters.Sample(process, CounterTypes.LINK_WAIT_NS, "wait-ns", "a", waitNs));
            s.add(new LiveCounters.Sample(process, CounterTypes.INFERENCES_DONE, "inferences", "", inferences));
            // another process sharing the directory must not count
            s.add(new LiveCounters.Sample("other", CounterTypes.FLOPS, "flops", "all", 1_000_000_000_000L));
            return s;
        }
    }

    private static Sample of(List<Sample> samples, String device) {
        return samples.stream().filter(s -> s.device().equals(device)).findFirst().orElseThrow();
    }

    @Test
    void ratesAreDeltasOfFlopsOverDeltasOfComputeTimeBetweenReads() {
        Fake w = new Fake("w1");
        Fake local = new Fake("coordinator-1");
        Map<String, PlannerCounters.Source> present = new LinkedHashMap<>(Map.of("local", local, "w1", w));
        PlannerCounters c = new PlannerCounters(() -> present, Map.of("local", "coordinator-1"), true, 1_000_000);
        w.flops = 5_000_000_000L;
        w.computeNs = 10_000_000_000L; // history before the first read must not count
        List<Sample> first = c.read();
        assertThat(first).extracting(Sample::device).containsExactlyInAnyOrder("local", "w1");
        assertThat(of(first, "w1").flopsPerSecond()).isNaN();

        w.flops += 2_000_000_000L;
        w.computeNs += 500_000_000L; // 2 GFLOP in 0.5 s
        w.bytes += 4_000_000;
        w.waitNs += 20_000_000; // 4 MB in 20 ms of waiting
        local.flops += 300_000_000L;
        local.computeNs += 100_000_000L;
        List<Sample> second = c.read();
        assertThat(of(second, "w1").flopsPerSecond()).isCloseTo(4e9, within(1.0));
        assertThat(of(second, "w1").linkBytesPerSecond()).isCloseTo(2e8, within(1.0));
        assertThat(of(second, "local").flopsPerSecond()).isCloseTo(3e9, within(1.0));
        assertThat(of(second, "local").linkBytesPerSecond()).isNaN(); // received nothing

        // nothing computed since: unmeasured, not zero
        List<Sample> idle = c.read();
        assertThat(of(idle, "w1").flopsPerSecond()).isNaN();
        assertThat(of(idle, "w1").linkBytesPerSecond()).isNaN();
    }

    @Test
    void shortHaloWaitsAndDisabledLinksKeepTheConfiguredLink() {
        Fake w = new Fake("w1");
        PlannerCounters measured = new PlannerCounters(() -> Map.of("w1", w), Map.of(), true, 1_000_000);
        PlannerCounters off = new PlannerCounters(() -> Map.of("w1", w), Map.of(), false, 1_000_000);
        measured.read();
        off.read();
        w.flops += 10;
        w.computeNs += 10;
        w.bytes += 1_000_000;
        w.waitNs += 500_000; // below 1 ms: halos hid behind compute
        assertThat(measured.read().get(0).linkBytesPerSecond()).isNaN();
        w.bytes += 1_000_000;
        w.waitNs += 2_000_000;
        assertThat(measured.read().get(0).linkBytesPerSecond()).isCloseTo(5e8, within(1.0));
        assertThat(off.read().get(0).linkBytesPerSecond()).isNaN();
    }

    @Test
    void aDeviceWhoseCountersCannotBeReadHasLeftAndARestartIsNoMeasurement() {
        Fake w = new Fake("w1");
        Fake local = new Fake("local");
        PlannerCounters c = new PlannerCounters(() -> Map.of("local", local, "w1", w), Map.of(), false, 0);
        c.read();
        w.gone = true;
        assertThat(c.read()).extracting(Sample::device).containsExactly("local");
        // back with fresh totals (a new process): first read after it is unmeasured
        w.gone = false;
        w.flops = 100;
        w.computeNs = 100;
        assertThat(c.read().stream().filter(s -> s.device().equals("w1")).findFirst().orElseThrow().flopsPerSecond()).isNaN();
        // totals lower than before (restarted between reads): no negative rate
        w.flops = 10;
        w.computeNs = 10;
        assertThat(c.read().stream().filter(s -> s.device().equals("w1")).findFirst().orElseThrow().flopsPerSecond()).isNaN();
    }

    @Test
    void aProcesssFirstInferencesAreNoMeasurementAndARestartStartsTheWarmUpAgain() {
        Fake w = new Fake("w1");
        w.inferences = 0;
        PlannerCounters c = new PlannerCounters(() -> Map.of("w1", w), Map.of(), false, 0);
        c.read();
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < 5; i++) { // one inference per read, as an adaptive session ticks
            w.inferences++;
            w.flops += 1_000_000_000L;
            w.computeNs += 500_000_000L;
            rates.add(c.read().get(0).flopsPerSecond());
        }
        int k = PlannerCounters.WARM_UP_INFERENCES_DEFAULT;
        assertThat(rates.subList(0, k)).allMatch(r -> r.isNaN());
        assertThat(rates.subList(k, rates.size())).allSatisfy(r -> assertThat(r).isCloseTo(2e9, within(1.0)));

        // restarted: its totals start again from zero, and so does its warm-up
        w.inferences = 1;
        w.flops = 1_000_000_000L;
        w.computeNs = 2_000_000_000L;
        assertThat(c.read().get(0).flopsPerSecond()).isNaN();
        for (int i = 1; i < k; i++) {
            w.inferences++;
            w.flops += 1_000_000_000L;
            w.computeNs += 2_000_000_000L;
            assertThat(c.read().get(0).flopsPerSecond()).as("inference %d after the restart", i + 1).isNaN();
        }
        w.inferences++;
        w.flops += 1_000_000_000L;
        w.computeNs += 250_000_000L;
        assertThat(c.read().get(0).flopsPerSecond()).isCloseTo(4e9, within(1.0));

        // no warm-up asked for: the first interval counts
        Fake fresh = new Fake("w2");
        fresh.inferences = 0;
        PlannerCounters all = new PlannerCounters(() -> Map.of("w2", fresh), Map.of(), false, 0, 0);
        all.read();
        fresh.inferences = 1;
        fresh.flops = 3_000_000_000L;
        fresh.computeNs = 1_000_000_000L;
        assertThat(all.read().get(0).flopsPerSecond()).isCloseTo(3e9, within(1.0));
    }
}
