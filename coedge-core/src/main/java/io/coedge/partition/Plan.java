package io.coedge.partition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A row partition of one inference: which devices take part, how many rows of the input map each
 * owns, where halos are exchanged ({@link Sync}), and which device runs the tail. Immutable and
 * validated on construction; {@link #toText()} / {@link #parse(String)} give a compact one-line form
 * that travels to devices.
 *
 * <h2>Rows at every stage</h2>
 * The plan fixes the rows {@code a_i} each device owns of the input map ({@code sum a_i = H}, the
 * input height; devices are stacked top to bottom in plan order). Every split layer output of height
 * {@code h} is divided in the same proportion, as CoEdge does: device {@code i} owns rows
 * {@code [floor(h * A_{i-1} / H), floor(h * A_i / H))} where {@code A_i = a_0 + ... + a_i}. So a device
 * with zero input rows owns zero rows everywhere, the split is exact at the input, and a device with
 * one input row may own no rows of a small deep layer. {@link #boundaries(int)} computes this.
 *
 * <h2>The initiator</h2>
 * The tail device is also the initiator: it holds the input, scatters the bands, gathers the tail's
 * input and returns the result. It may own rows itself.
 *
 * @see Geometry for what follows from a plan on a given graph
 */
public final class Plan {
    /** Version of the text format written by {@link #toText()}. */
    public static final int FORMAT = 1;

    /** Most devices a plan may name (the geometry's cost grows with the square of the count). */
    public static final int MAX_DEVICES = 1024;

    private final long version;
    private final List<String> devices;
    private final int[] rows;
    private final Sync sync;
    private final int tail;
    private final boolean headSplit;

    /**
     * @param version plan version (the runtime switches plans between inferences by version); >= 0
     * @param devices device names, unique, non-blank, without {@code ,;:=} or whitespace
     * @param rows    input rows owned by each device, same order; each >= 0, sum > 0
     * @param sync    where halos are exchanged
     * @param tail    name of the device that runs the tail (and scatters and gathers)
     * @throws IllegalArgumentException naming the problem when any of these does not hold
     */
    public Plan(long version, List<String> devices, int[] rows, Sync sync, String tail) {
        this(version, devices, rows, sync, tail, false);
    }

    /**
     * As {@link #Plan(long, List, int[], Sync, String)}, and:
     *
     * @param headSplit whether the fully connected layers of the tail are split by output neurons across
     *                  the devices that own rows of the first one's input map ({@link #headSplit()})
     */
    public Plan(long version, List<String> devices, int[] rows, Sync sync, String tail, boolean headSplit) {
        this.headSplit = headSplit;
        if (version < 0) {
            throw new IllegalArgumentException("plan version must be >= 0, got " + version);
        }
        if (devices == null || devices.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one device");
        }
        if (devices.size() > MAX_DEVICES) {
            throw new IllegalArgumentException("a plan may name at most " + MAX_DEVICES + " devices, this one names "
                    + devices.size());
        }
        Set<String> seen = new HashSet<>();
        for (String d : devices) {
            if (d == null || d.isBlank() || !d.matches("[^\\s,;:=]+")) {
                throw new IllegalArgumentException("device name '" + d + "' is not allowed: use letters, digits, '-', '_', '.'");
            }
            if (!seen.add(d)) {
                throw new IllegalArgumentException("device '" + d + "' appears twice in the plan");
            }
        }
        if (rows == null || rows.length != devices.size()) {
            throw new IllegalArgumentException("the plan names " + devices.size() + " devices but gives rows for "
                    + (rows == null ? 0 : rows.length));
        }
        long sum = 0;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0) {
                throw new IllegalArgumentException("device '" + devices.get(i) + "' has a negative row count (" + rows[i]
                        + "); a device may own zero rows, not fewer");
            }
            sum += rows[i];
        }
        if (sum == 0) {
            throw new IllegalArgumentException("the plan gives no rows to any device");
        }
        if (sum > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the plan's rows sum to " + sum + ", too many");
        }
        this.tail = devices.indexOf(tail);
        if (this.tail < 0) {
            throw new IllegalArgumentException("tail device '" + tail + "' is not one of the plan's devices " + devices);
        }
        this.version = version;
        this.devices = List.copyOf(devices);
        this.rows = rows.clone();
        this.sync = sync == null ? Sync.every() : sync;
    }

    /** Default device names {@code dev0 .. dev(n-1)}. */
    public static List<String> deviceNames(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("need at least one device, got " + n);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("dev" + i);
        }
        return names;
    }

    /** {@code height} rows split as evenly as possible; the first {@code height % n} devices get one more. */
    public static Plan equal(List<String> devices, int height, Sync sync) {
        requirePositiveHeight(height);
        int n = devices.size();
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = height / n + (i < height % n ? 1 : 0);
        }
        return new Plan(0, devices, r, sync, devices.get(0));
    }

    /** Explicit input rows per device. */
    public static Plan explicit(List<String> devices, int[] rows, Sync sync) {
        return new Plan(0, devices, rows, sync, devices.get(0));
    }

    /**
     * A seeded random split of {@code height} rows: {@code n - 1} cut points uniform in
     * {@code [0, height]}, so devices with zero rows and with one row are common at small heights.
     */
    public static Plan random(List<String> devices, int height, long seed, Sync sync) {
        requirePositiveHeight(height);
        Random rnd = new Random(seed);
        int n = devices.size();
        int[] cuts = new int[n + 1];
        for (int i = 1; i < n; i++) {
            cuts[i] = rnd.nextInt(height + 1);
        }
        cuts[n] = height;
        Arrays.sort(cuts, 1, n);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = cuts[i + 1] - cuts[i];
        }
        return new Plan(0, devices, r, sync, devices.get(0));
    }

    /**
     * The CLI's {@code --partition} forms: {@code equal}, {@code random}, {@code random:SEED}, or
     * {@code r1,r2,...} (input rows per device; their count must equal the device count).
     *
     * @param height input map height
     */
    public static Plan fromSpec(String spec, List<String> devices, int height, Sync sync) {
        String s = spec == null ? "equal" : spec.trim();
        if (s.isEmpty() || s.equals("equal")) {
            return equal(devices, height, sync);
        }
        if (s.equals("random")) {
            return random(devices, height, 1, sync);
        }
        if (s.startsWith("random:")) {
            try {
                return random(devices, height, Long.parseLong(s.substring(7).trim()), sync);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--partition random:SEED needs an integer seed, got '" + s + "'");
            }
        }
        String[] parts = s.split(",");
        if (parts.length != devices.size()) {
            throw new IllegalArgumentException("--partition gives " + parts.length + " row counts for "
                    + devices.size() + " devices; give one per device (summing to " + height + ")");
        }
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--partition: '" + parts[i].trim()
                        + "' is not a row count; use equal, random[:SEED] or r1,r2,...");
            }
        }
        Plan p = explicit(devices, r, sync);
        p.requireHeight(height);
        return p;
    }

    private static void requirePositiveHeight(int height) {
        if (height < 1) {
            throw new IllegalArgumentException("map height must be >= 1, got " + height);
        }
    }

    public long version() {
        return version;
    }

    public List<String> devices() {
        return devices;
    }

    public int deviceCount() {
        return devices.size();
    }

    /** Input rows owned by each device (a copy). */
    public int[] rows() {
        return rows.clone();
    }

    /** Input rows owned by device {@code device} (an index into {@link #devices()}); may be 0. */
    public int rows(int device) {
        return rows[device];
    }

    /** Total input rows: the input height this plan is for. */
    public int height() {
        int s = 0;
        for (int r : rows) {
            s += r;
        }
        return s;
    }

    public Sync sync() {
        return sync;
    }

    /** Index of the tail device (also the initiator). */
    public int tail() {
        return tail;
    }

    /** Name of the tail device. */
    public String tailDevice() {
        return devices.get(tail);
    }

    /**
     * Whether the tail's fully connected layers (a Gemm reading the flattened last split map, as in VGG and
     * AlexNet, and the Gemms chained after it through ReLU and dropout) are split by output neurons: every
     * device owning rows of that map receives the whole map from the others (an all-gather), computes its
     * share of the first layer's outputs (rows of the weight, in proportion to its input rows), all-gathers
     * those outputs with the others for the next layer, and so on; the last layer's outputs go to the tail
     * device, which runs the rest of the tail ({@link Geometry#headNodes()}). Each output neuron is the same
     * dot product as on one device, so results stay bit-identical; the tail device no longer streams the
     * whole (memory-bound) weights alone while the others idle. No effect on graphs without such a layer.
     * Default false.
     */
    public boolean headSplit() {
        return headSplit;
    }

    /** The same plan with sync points {@code s}. */
    public Plan withSync(Sync s) {
        return new Plan(version, devices, rows, s, devices.get(tail), headSplit);
    }

    /** The same plan with the tail on {@code device}, which must be one of {@link #devices()}. */
    public Plan withTail(String device) {
        return new Plan(version, devices, rows, sync, device, headSplit);
    }

    /** The same plan under version {@code v} (a re-plan sends a higher one). */
    public Plan withVersion(long v) {
        return new Plan(v, devices, rows, sync, devices.get(tail), headSplit);
    }

    /** The same plan with {@link #headSplit()} set to {@code split}. */
    public Plan withHeadSplit(boolean split) {
        return new Plan(version, devices, rows, sync, devices.get(tail), split);
    }

    /**
     * Checks a row split for {@code devices} devices of an input map of {@code height} rows without making a plan (the
     * cost model's checks do this for every candidate split).
     *
     * @throws IllegalArgumentException when {@code rows} are not one count of at least 0 per device summing to
     *                                  {@code height}
     */
    public static void requireRows(int[] rows, int devices, int height) {
        if (rows.length != devices) {
            throw new IllegalArgumentException("expected rows for " + devices + " devices, got " + rows.length);
        }
        long sum = 0;
        for (int r : rows) {
            if (r < 0) {
                throw new IllegalArgumentException("rows must be >= 0: " + Arrays.toString(rows));
            }
            sum += r;
        }
        if (sum != height) {
            throw new IllegalArgumentException("rows " + Arrays.toString(rows) + " sum to " + sum + ", the input map has "
                    + height);
        }
    }

    /**
     * Checks that the rows cover an input map of {@code height} rows exactly once.
     *
     * @throws IllegalArgumentException telling the user how many rows to give
     */
    public void requireHeight(int height) {
        int h = height();
        if (h != height) {
            throw new IllegalArgumentException("the plan's rows " + Arrays.toString(rows) + " sum to " + h
                    + " but the input map has " + height + " rows; give row counts that sum to " + height);
        }
    }

    /**
     * Row boundaries of a map of {@code mapHeight} rows split in this plan's proportion: device
     * {@code i} owns {@code [b[i], b[i+1])}; {@code b[0] = 0}, {@code b[n] = mapHeight}.
     */
    public int[] boundaries(int mapHeight) {
        int n = rows.length;
        int[] b = new int[n + 1];
        long total = height();
        long cum = 0;
        for (int i = 0; i < n; i++) {
            cum += rows[i];
            b[i + 1] = (int) (mapHeight * cum / total);
        }
        return b;
    }

    /** Rows device {@code device} owns of a split map of {@code mapHeight} rows. */
    public RowRange owned(int device, int mapHeight) {
        int[] b = boundaries(mapHeight);
        return RowRange.of(b[device], b[device + 1]);
    }

    /**
     * One line: {@code coedge-plan/1 version=V sync=every tail=NAME rows=NAME:R,NAME:R,...}, then
     * {@code head=split} when {@link #headSplit()}.
     */
    public String toText() {
        StringBuilder sb = new StringBuilder("coedge-plan/").append(FORMAT).append(" version=").append(version)
                .append(" sync=").append(sync).append(" tail=").append(tailDevice()).append(" rows=");
        for (int i = 0; i < rows.length; i++) {
            sb.append(i == 0 ? "" : ",").append(devices.get(i)).append(':').append(rows[i]);
        }
        if (headSplit) {
            sb.append(" head=split");
        }
        return sb.toString();
    }

    /**
     * The same as JSON: {@code {"format":1,"version":V,"sync":"every","tail":"d0","devices":[{"name":"d0","rows":56},...]}},
     * with {@code "head":"split"} after {@code "tail"} when {@link #headSplit()}.
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"format\":").append(FORMAT).append(",\"version\":").append(version)
                .append(",\"sync\":\"").append(sync).append("\",\"tail\":\"").append(tailDevice())
                .append(headSplit ? "\",\"head\":\"split" : "").append("\",\"devices\":[");
        for (int i = 0; i < rows.length; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"").append(devices.get(i)).append("\",\"rows\":")
                    .append(rows[i]).append('}');
        }
        return sb.append("]}").toString();
    }

    /** Reads {@link #toText()}'s form; throws IllegalArgumentException naming what is wrong. */
    public static Plan parse(String text) {
        String[] tokens = text.trim().split("\\s+");
        if (tokens.length == 0 || !tokens[0].startsWith("coedge-plan/")) {
            throw new IllegalArgumentException("not a CoEdge plan (it must start with 'coedge-plan/" + FORMAT + "')");
        }
        String fmt = tokens[0].substring("coedge-plan/".length());
        if (!fmt.equals(String.valueOf(FORMAT))) {
            throw new IllegalArgumentException("plan format " + fmt + " is not supported; this build reads format " + FORMAT);
        }
        Long version = null;
        Sync sync = null;
        String tail = null;
        boolean head = false;
        List<String> names = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int i = 1; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("plan field '" + tokens[i] + "' is not key=value");
            }
            String key = tokens[i].substring(0, eq);
            String value = tokens[i].substring(eq + 1);
            switch (key) {
                case "version" -> {
                    try {
                        version = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("plan version '" + value + "' is not a number");
                    }
                }
                case "sync" -> sync = Sync.parse(value);
                case "tail" -> tail = value;
                case "head" -> {
                    if (!value.equals("split") && !value.equals("tail")) {
                        throw new IllegalArgumentException("plan field head='" + value + "' must be 'split' or 'tail'");
                    }
                    head = value.equals("split");
                }
                case "rows" -> {
                    for (String part : value.split(",")) {
                        int colon = part.lastIndexOf(':');
                        if (colon <= 0) {
                            throw new IllegalArgumentException("plan rows entry '" + part + "' is not NAME:ROWS");
                        }
                        names.add(part.substring(0, colon));
                        try {
                            rows.add(Integer.parseInt(part.substring(colon + 1)));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("plan rows entry '" + part + "' has no row count");
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown plan field '" + key + "'");
            }
        }
        if (version == null || sync == null || tail == null || names.isEmpty()) {
            throw new IllegalArgumentException("plan text lacks one of version=, sync=, tail=, rows=");
        }
        return new Plan(version, names, rows.stream().mapToInt(Integer::intValue).toArray(), sync, tail, head);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Plan p && version == p.version && tail == p.tail && devices.equals(p.devices)
                && Arrays.equals(rows, p.rows) && sync.equals(p.sync) && headSplit == p.headSplit;
    }

    @Override
    public int hashCode() {
        return (devices.hashCode() * 31 + Arrays.hashCode(rows)) * 31 + Long.hashCode(version) + sync.hashCode() + tail
                + (headSplit ? 7 : 0);
    }

    @Override
    public String toString() {
        return toText();
    }
}
