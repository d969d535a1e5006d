package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The messages of many plans on one graph that differ only in their rows and tail device: what a cost model checking
 * dozens of candidate splits needs. {@link #transfersOf(Plan)} equals {@code Geometry.of(graph, plan).transfers()}.
 *
 * <p>Which nodes are split, their row mappings and the sync points do not depend on the rows, so they are worked out
 * once. And a device's bands do not depend on the other devices: at every sync map it owns
 * {@code [H a / h, H b / h)} for its input rows {@code [a, b)} (see {@link Plan#boundaries(int)}), and the rows it
 * needs and computes follow from those alone. So each device's bands are kept by its input rows, and a plan that moves
 * one boundary between two neighbours, as the planner's checks do, works out the bands of those two only. What a
 * device receives of a sync map is then what it needs of the rows each other device owns.
 *
 * <p>Plans with a split head ({@link Plan#headSplit()}), whose transfers depend on every device's rows at once, and
 * plans of another device count, sync or head split than the template go through
 * {@link Geometry#transfersOf(Graph, Plan)}. Safe for use by several threads.
 */
public final class PlanTransfers {
    /** Most devices' bands kept; a planner's checks visit a few hundred. */
    private static final int BAND_CACHE = 4096;

    private final Graph graph;
    private final int n;
    private final int h;
    private final Sync sync;
    private final boolean headSplit;
    /** False when the family's plans split the head: then every plan goes through {@link Geometry}. */
    private final boolean fast;

    // split values, index k; the graph input is value 0
    private final String[] name;
    private final int[] height;
    private final long[] rowBytes;
    private final int[] channels;
    private final boolean[] isSync;
    private final boolean[] gathered;
    /** A reduction or the tail reads the owner's rows. */
    private final boolean[] ownNeeded;
    private final String input;
    private final int inStage;
    /** Node index producing each split value, -1 for the graph input. */
    private final int[] producer;
    private final List<String> devices;
    private final String tailDevice;

    // split nodes, last first: their output value, and per split input its value and position
    private final int[] revOut;
    private final int[][] revIn;
    private final int[][] revPos;
    private final RowMapping[] revMap;

    // per node in graph order: output value of a split node, input value of a reduction, else -1
    private final int[] nodeOut;
    private final int[] reductionIn;
    private final boolean[] allReduce;

    private final Map<Long, Band> bands = new ConcurrentHashMap<>();

    /**
     * One device's rows of every split value: owned (sync values; where an empty range falls tells the neighbours'
     * boundaries: device {@code d}'s own end is device {@code d + 1}'s own start) and needed ({@code [start, end)}, 0/0
     * when none).
     */
    private static final class Band {
        final int[] ownStart;
        final int[] ownEnd;
        final int[] needStart;
        final int[] needEnd;
        /** Sync values this device needs rows of beyond its own, in order: those it receives halos of. */
        int[] haloValues;

        Band(int values) {
            ownStart = new int[values];
            ownEnd = new int[values];
            needStart = new int[values];
            needEnd = new int[values];
        }
    }

    private PlanTransfers(Graph graph, Plan template) {
        Geometry g = Geometry.analysisOnly(graph, template);
        this.graph = graph;
        this.n = template.deviceCount();
        this.h = template.height();
        this.sync = template.sync();
        this.headSplit = template.headSplit();
        this.fast = !g.hasHead();
        this.devices = template.devices();
        this.tailDevice = template.tailDevice();
        List<Node> nodes = graph.nodes();
        this.input = g.inputName();
        List<String> values = new ArrayList<>();
        values.add(input);
        Map<String, Integer> k = new HashMap<>();
        k.put(input, 0);
        this.nodeOut = new int[nodes.size()];
        this.reductionIn = new int[nodes.size()];
        this.allReduce = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            nodeOut[i] = -1;
            reductionIn[i] = -1;
            if (g.role(i) == Geometry.Role.SPLIT) {
                nodeOut[i] = values.size();
                k.put(nodes.get(i).output(), values.size());
                values.add(nodes.get(i).output());
            }
        }
        int v = values.size();
        this.name = values.toArray(new String[0]);
        this.height = new int[v];
        this.rowBytes = new long[v];
        this.channels = new int[v];
        this.isSync = new boolean[v];
        this.gathered = new boolean[v];
        this.ownNeeded = new boolean[v];
        this.producer = new int[v];
        for (int x = 0; x < v; x++) {
            producer[x] = g.producer(name[x]);
            height[x] = g.height(name[x]);
            rowBytes[x] = g.rowBytes(name[x]);
            channels[x] = g.channels(name[x]);
            isSync[x] = g.isSync(name[x]);
            gathered[x] = g.isGathered(name[x]);
            boolean produced = g.producer(name[x]) >= 0;
            for (Node c : graph.consumers(name[x])) {
                Geometry.Role r = g.role(g.index(c));
                if (r != Geometry.Role.SPLIT && isSync[x] && (produced || r == Geometry.Role.REDUCTION)) {
                    ownNeeded[x] = true;
                }
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            if (g.role(i) == Geometry.Role.REDUCTION) {
                reductionIn[i] = k.get(nodes.get(i).input(0));
                allReduce[i] = g.allReduces(i);
            }
        }
        int splitNodes = v - 1;
        this.revOut = new int[splitNodes];
        this.revIn = new int[splitNodes][];
        this.revPos = new int[splitNodes][];
        this.revMap = new RowMapping[splitNodes];
        int at = 0;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (nodeOut[i] < 0) {
                continue;
            }
            Node node = nodes.get(i);
            List<Integer> ins = new ArrayList<>();
            List<Integer> pos = new ArrayList<>();
            for (int j = 0; j < node.inputs().size(); j++) {
                Integer u = node.hasInput(j) ? k.get(node.input(j)) : null;
                if (u != null) {
                    ins.add(u);
                    pos.add(j);
                }
            }
            revOut[at] = nodeOut[i];
            revIn[at] = ins.stream().mapToInt(Integer::intValue).toArray();
            revPos[at] = pos.stream().mapToInt(Integer::intValue).toArray();
            revMap[at] = g.mapping(i);
            at++;
        }
        this.inStage = Math.max(0, g.firstSplitConsumer(input));
    }

    /**
     * The transfers of the plans like {@code template} on {@code graph}: same device count, sync points and head
     * split; the rows and the tail device may differ.
     *
     * @throws IllegalArgumentException as {@link Geometry#of(Graph, Plan)} for {@code template}
     */
    public static PlanTransfers of(Graph graph, Plan template) {
        return new PlanTransfers(graph, template);
    }

    /**
     * Every message of one inference of {@code plan}, the same list as {@code Geometry.of(graph, plan).transfers()}.
     *
     * @throws IllegalArgumentException as {@link Geometry#of(Graph, Plan)}
     */
    public List<Transfer> transfersOf(Plan plan) {
        if (!inFamily(plan)) {
            return Geometry.transfersOf(graph, plan);
        }
        plan.requireHeight(h);
        return Collections.unmodifiableList(makeTransfers(bands(plan.rows()), plan.tail()));
    }

    /** Whether {@code plan} takes the bands path: no split head, and the template's device count, sync and head split. */
    private boolean inFamily(Plan plan) {
        return fast && plan.deviceCount() == n && plan.sync().equals(sync) && plan.headSplit() == headSplit;
    }

    /** Receives the halos of a plan ({@link Transfer.Kind#HALO} transfers) one at a time. */
    @FunctionalInterface
    public interface HaloSink {
        /**
         * Device {@code to} receives rows {@code [rowStart, rowEnd)} of the output of split node {@code node} from
         * device {@code from}, {@code bytes} in all.
         */
        void halo(int node, int from, int to, int rowStart, int rowEnd, long bytes);
    }

    /**
     * The {@link Transfer.Kind#HALO} transfers of {@link #transfersOf(Plan)}, in the same order, to {@code sink},
     * without making a list of them: what a cost model that charges halos needs, with less garbage.
     *
     * @throws IllegalArgumentException as {@link Geometry#of(Graph, Plan)}
     */
    public void forEachHalo(Plan plan, HaloSink sink) {
        if (!inFamily(plan)) {
            for (Transfer t : Geometry.transfersOf(graph, plan)) {
                if (t.kind() == Transfer.Kind.HALO) {
                    sink.halo(t.stage(), t.from(), t.to(), t.rowStart(), t.rowEnd(), t.bytes());
                }
            }
            return;
        }
        plan.requireHeight(h);
        halos(bands(plan.rows()), sink);
    }

    /**
     * {@link #forEachHalo(Plan, HaloSink)} for a plan of the template's devices, sync and head split with input rows
     * {@code rows} (halos do not depend on the tail device), without making the plan.
     *
     * @throws IllegalArgumentException when {@code rows} are not one count of at least 0 per device summing to the
     *                                  input map's height
     */
    public void forEachHalo(int[] rows, HaloSink sink) {
        Plan.requireRows(rows, n, h);
        if (!fast) {
            forEachHalo(new Plan(0, devices, rows, sync, tailDevice, headSplit), sink);
            return;
        }
        halos(bands(rows), sink);
    }

    /** Whether node {@code node} is {@link Geometry.Role#SPLIT split} by rows: {@link #splitFlops} counts its FLOPs. */
    public boolean splitsByRows(int node) {
        return nodeOut[node] >= 0;
    }

    /**
     * FLOPs each device computes at each split node of a plan of the template's devices, sync and head split with input
     * rows {@code rows}: {@code [device][node]}, the figures of {@code Geometry.of(graph, plan).predicted().flops(device,
     * node)} for the nodes {@link Geometry.Role#SPLIT split} by rows, 0 for the others (reductions, the tail). A
     * device's share of a deep map's rows is not its share of the input's: 111 of 224 input rows own 3 of GoogLeNet's 7
     * rows at its last maps.
     *
     * @throws IllegalArgumentException as {@link #forEachHalo(int[], HaloSink)}
     */
    public long[][] splitFlops(int[] rows) {
        Plan.requireRows(rows, n, h);
        long[][] out = new long[n][nodeOut.length];
        if (!fast) {
            Geometry g = Geometry.of(graph, new Plan(0, devices, rows, sync, tailDevice, headSplit));
            for (int i = 0; i < nodeOut.length; i++) {
                if (nodeOut[i] >= 0) {
                    for (int d = 0; d < n; d++) {
                        out[d][i] = g.predicted().flops(d, i);
                    }
                }
            }
            return out;
        }
        Band[] b = bands(rows);
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodeOut.length; i++) {
            int x = nodeOut[i];
            if (x < 0) {
                continue;
            }
            long full = graph.flops(nodes.get(i));
            for (int d = 0; d < n; d++) {
                // the computed rows: a sync map's own rows, else the rows its readers need
                int s = isSync[x] ? b[d].ownStart[x] : b[d].needStart[x];
                int e = isSync[x] ? b[d].ownEnd[x] : b[d].needEnd[x];
                if (e > s) {
                    out[d][i] = Geometry.bandFlops(full, height[x], s, e);
                }
            }
        }
        return out;
    }

    private void halos(Band[] b, HaloSink sink) {
        // only values some device needs beyond its own rows carry halos
        // (and only devices that need such rows receive any)
        boolean[] some = new boolean[name.length];
        int[] receivers = new int[n];
        int count = 0;
        for (int d = 0; d < n; d++) {
            for (int x : b[d].haloValues) {
                some[x] = true;
            }
            if (b[d].haloValues.length > 0) {
                receivers[count++] = d;
            }
        }
        for (int x = 1; x < name.length; x++) {
            if (!some[x]) {
                continue;
            }
            for (int r = 0; r < count; r++) {
                halosTo(b, x, producer[x], receivers[r], sink);
            }
        }
    }

    /**
     * The halos device {@code d} receives of sync value {@code x} (produced by node {@code node}): what it needs of
     * the rows each other device owns, owners in device order.
     */
    private void halosTo(Band[] b, int x, int node, int d, HaloSink sink) {
        int ns = b[d].needStart[x], ne = b[d].needEnd[x];
        if (ne == ns || (ns >= b[d].ownStart[x] && ne <= b[d].ownEnd[x])) {
            return; // nothing needed, or all its own: no other device owns any of it
        }
        for (int j = firstOwner(b, x, ns); j < n && b[j].ownStart[x] < ne; j++) {
            int s = Math.max(ns, b[j].ownStart[x]);
            int e = Math.min(ne, b[j].ownEnd[x]);
            if (j != d && e > s) {
                sink.halo(node, j, d, s, e, (e - s) * rowBytes[x]);
            }
        }
    }

    /**
     * The first device whose own rows of sync value {@code x} end after {@code row}: the devices before it own nothing
     * at or after {@code row}, and owners from it on start where their predecessors end, so the devices owning rows of a
     * needed range follow it in order.
     */
    private int firstOwner(Band[] b, int x, int row) {
        int lo = 0, hi = n; // own ends are non-decreasing in the device
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (b[mid].ownEnd[x] > row) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private Band[] bands(int[] rows) {
        Band[] b = new Band[n];
        long cum = 0;
        for (int d = 0; d < n; d++) {
            long start = cum;
            cum += rows[d];
            b[d] = band(start, cum);
        }
        return b;
    }

    private Band band(long start, long end) {
        Long key = start << 32 | end;
        Band band = bands.get(key);
        if (band == null) {
            if (bands.size() >= BAND_CACHE) {
                bands.clear();
            }
            band = computeBand(start, end);
            bands.put(key, band);
        }
        return band;
    }

    /** {@code Geometry.bands()} for one device with input rows {@code [start, end)}. */
    private Band computeBand(long start, long end) {
        int v = name.length;
        Band b = new Band(v);
        for (int x = 0; x < v; x++) {
            if (isSync[x]) {
                int s = (int) (height[x] * start / h);
                int e = (int) (height[x] * end / h);
                b.ownStart[x] = s;
                b.ownEnd[x] = e;
                if (e > s && ownNeeded[x]) {
                    b.needStart[x] = s;
                    b.needEnd[x] = e;
                }
            }
        }
        for (int at = 0; at < revOut.length; at++) {
            int o = revOut[at];
            int cs = isSync[o] ? b.ownStart[o] : b.needStart[o];
            int ce = isSync[o] ? b.ownEnd[o] : b.needEnd[o];
            if (ce == cs) {
                continue;
            }
            int[] ins = revIn[at];
            for (int q = 0; q < ins.length; q++) {
                int u = ins[q];
                RowRange r = revMap[at].inputRows(revPos[at][q], cs, ce);
                int rs = Math.max(0, r.start());
                int re = Math.min(height[u], r.end());
                if (re <= rs) {
                    continue;
                }
                if (b.needEnd[u] == b.needStart[u]) {
                    b.needStart[u] = rs;
                    b.needEnd[u] = re;
                } else {
                    b.needStart[u] = Math.min(b.needStart[u], rs);
                    b.needEnd[u] = Math.max(b.needEnd[u], re);
                }
            }
        }
        int[] halo = new int[v];
        int count = 0;
        for (int x = 1; x < v; x++) {
            if (isSync[x] && b.needEnd[x] > b.needStart[x]
                    && (b.needStart[x] < b.ownStart[x] || b.needEnd[x] > b.ownEnd[x])) {
                halo[count++] = x;
            }
        }
        b.haloValues = Arrays.copyOf(halo, count);
        return b;
    }

    /** {@code Geometry.makeTransfers()} without a split head, in the same order. */
    private List<Transfer> makeTransfers(Band[] b, int tail) {
        List<Transfer> list = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            int s = b[d].needStart[0], e = b[d].needEnd[0];
            if (d != tail && e > s) {
                list.add(new Transfer(list.size(), Transfer.Kind.SCATTER, input, inStage, tail, d, s, e,
                        (e - s) * rowBytes[0]));
            }
        }
        for (int i = 0; i < nodeOut.length; i++) {
            int x = nodeOut[i];
            if (x >= 0) {
                if (isSync[x]) {
                    String value = name[x];
                    HaloSink add = (node, from, to, s, e, bytes) -> list.add(new Transfer(list.size(),
                            Transfer.Kind.HALO, value, node, from, to, s, e, bytes));
                    for (int d = 0; d < n; d++) {
                        halosTo(b, x, i, d, add);
                    }
                }
                if (gathered[x]) {
                    for (int d = 0; d < n; d++) {
                        int s = b[d].ownStart[x], e = b[d].ownEnd[x];
                        if (d != tail && e > s) {
                            list.add(new Transfer(list.size(), Transfer.Kind.GATHER, name[x], i, d, tail, s, e,
                                    (e - s) * rowBytes[x]));
                        }
                    }
                }
            } else if (reductionIn[i] >= 0) {
                int u = reductionIn[i];
                for (int d = 0; d < n; d++) {
                    int s = b[d].ownStart[u], e = b[d].ownEnd[u];
                    for (int f = 0; f < n; f++) {
                        boolean wanted = allReduce[i] ? f != d : f == tail && d != tail;
                        if (wanted && e > s) {
                            list.add(new Transfer(list.size(), Transfer.Kind.PARTIAL_SUM, name[u], i, d, f, s, e,
                                    (long) channels[u] * Float.BYTES));
                        }
                    }
                }
            }
        }
        return list;
    }
}
