package io.coedge.partition;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.ops.Gemm;
import io.coedge.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link Plan} means on a {@link Graph}: which nodes are split by rows, which rows each device
 * computes of every split layer and which input rows it needs, the messages that follow
 * ({@link #transfers()}), each device's program of steps, and the FLOPs, bytes and peak memory that
 * all this implies ({@link #predicted()}).
 *
 * <h2>Regions</h2>
 * A node is <b>split</b> when its output is a batch-1 rank-4 map, it has a {@link RowMapping}, and
 * every non-constant input is itself split (the graph input is split) or a whole value of height 1
 * that broadcasts along the rows. A global average pooling of a split map is a <b>reduction</b>: each
 * device sums its own rows per channel; the tail device adds the partial sums, or, when split layers
 * read the result (squeeze-excitation), every device adds everyone's, in device order, so all hold
 * the same bits. Nodes that only read such results and feed split layers are <b>replicated</b>: every
 * device runs them whole (they are tiny: 1x1 convs on a 1x1 map). Every other node is <b>tail</b> and
 * runs on the tail device on whole values; a split map a tail node reads is gathered there. A split
 * graph output (a fully convolutional model) is gathered to the tail device, which returns it.
 *
 * <h2>Bands</h2>
 * At <i>sync</i> values (every split value with {@link Sync#every()}; with {@code fused:K}, the output
 * of every K-th windowed layer along the deepest path, the values a reduction or the tail reads, and
 * graph outputs) device {@code d} computes exactly the rows it owns ({@link Plan#owned}). Elsewhere it
 * computes the union (hull) of the rows its consumers need, redundantly with its neighbours. Walking
 * backwards from consumers: the rows of an input a node needs follow from its {@link RowMapping},
 * clipped to the map. What a device needs of a sync value beyond its own rows arrives as
 * {@link Transfer.Kind#HALO} transfers from the owners; the input arrives by
 * {@link Transfer.Kind#SCATTER} from the initiator (the tail device), halo included.
 *
 * <h2>Split head</h2>
 * With {@link Plan#headSplit()}, when the last split map feeds the tail only through a short chain of
 * reshaping nodes (Flatten) into a one-row Gemm with constant weights (VGG's and AlexNet's first fully
 * connected layer), that layer is divided by output neurons instead of running whole on the tail device:
 * the devices owning rows of the map exchange them ({@link Transfer.Kind#GATHER} among themselves), each
 * runs the chain and its columns ({@link #headColumns}, in proportion to its input rows, at multiples of
 * 16) in phase {@code nodes + 1}. When that layer's output leads, through elementwise nodes only (ReLU,
 * dropout), to another such layer (VGG's and AlexNet's second and third), the devices exchange their
 * columns ({@link Transfer.Kind#SLICE} among themselves), each runs the chain on the whole vector and its
 * columns of the next layer in the next phase, and so on ({@link #headNodes}). The last split layer's
 * columns go to the tail device, which runs the rest of the tail one phase after the last stage. Every
 * output neuron is the same dot product as on one device, so the result keeps its bits; the layers' weights,
 * read once per inference and memory bound, are streamed by several devices at once instead of by the tail
 * device while the others idle.
 *
 * <h2>For the planner</h2>
 * {@code Geometry.of(graph, candidate).predicted()} gives per-device per-layer FLOPs and bytes sent and
 * received for a candidate split, exactly as a run will count them; {@link #computedRows(int, int)}
 * and {@link #haloRows(int, int)} the rows behind them; {@link #flopsPerRow(int)} and
 * {@link #rowBytes(String)} the per-row coefficients ({@code rho_l}, {@code beta_l}). Building a
 * geometry costs O(nodes x devices) and touches no tensor data.
 */
public final class Geometry {
    /** How a node runs. */
    public enum Role {
        /** Split by rows across the devices. */
        SPLIT,
        /**
         * Global average pooling of a split map: per-device partial sums, added on the tail device, or
         * on every device when split layers read the result (squeeze-excitation).
         */
        REDUCTION,
        /**
         * Runs whole on every device on small values derived from all-reduced global poolings (the
         * 1x1 convs and activations of a squeeze-excitation block), because split layers read it.
         */
        REPLICATED,
        /** Runs on the tail device on whole values. */
        TAIL
    }

    private final Graph graph;
    private final Plan plan;
    private final int n;
    private final List<Node> nodes;
    private final Role[] roles;
    private final RowMapping[] mappings;
    private final String input;
    private final Map<String, Split> split = new HashMap<>();
    private boolean[] allReduce;
    private final List<Transfer> transfers;
    private final List<List<Step>> programs;
    private final Accounting predicted;
    private int tailPhase;
    /** The split head ({@link Plan#headSplit()}), or null when the plan does not ask or the graph has none. */
    private Head head;
    private final List<Map<String, Long>> offsets = new ArrayList<>();
    private final long[] reserved;

    /**
     * The tail's fully connected layers split by output neurons, stage by stage: the devices owning rows of
     * {@code source} all-gather it, run the first stage's chain (flatten and the like) on it whole, and each
     * computes its {@code columns[0]} of {@code nodes[0]}'s output; from the second stage on, they all-gather
     * the previous stage's output the same way, run the stage's chain (ReLU, dropout) on it whole, and each
     * computes its columns of the stage's layer.
     */
    private static final class Head {
        final Split source;
        /** Per stage: the nodes between the previous stage's output (or the source map) and the stage's layer. */
        final int[][] chains;
        /** Per stage: the fully connected layer split by output neurons. */
        final int[] nodes;
        /** Per stage, per device: the output neurons it computes. */
        final RowRange[][] columns;
        /** The first stage's layer. */
        final int node;

        Head(Split source, int[][] chains, int[] nodes, RowRange[][] columns) {
            this.source = source;
            this.chains = chains;
            this.nodes = nodes;
            this.columns = columns;
            this.node = nodes[0];
        }

        int stages() {
            return nodes.length;
        }

        /** The stage whose split layer is node {@code i}, or -1. */
        int stageOf(int i) {
            for (int k = 0; k < nodes.length; k++) {
                if (nodes[k] == i) {
                    return k;
                }
            }
            return -1;
        }

        /** True when device {@code d} takes part in the split head (it computes neurons of the first stage). */
        boolean runsOn(int d) {
            return !columns[0][d].isEmpty();
        }

        boolean contains(int i) {
            if (stageOf(i) >= 0) {
                return true;
            }
            for (int[] chain : chains) {
                for (int c : chain) {
                    if (c == i) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** Per split value: geometry per device. */
    private static final class Split {
        final String name;
        final int producer; // node index, -1 for the graph input
        final int height;
        final long rowBytes;
        final int channels;
        final int width;
        boolean sync;
        boolean gathered;
        int depth;
        RowRange[] own;
        RowRange[] comp;
        RowRange[] need;
        RowRange[] buffer;

        Split(String name, int producer, int[] shape, int devices) {
            this.name = name;
            this.producer = producer;
            this.channels = shape[1];
            this.height = shape[2];
            this.width = shape[3];
            this.rowBytes = (long) shape[1] * shape[3] * Float.BYTES;
            this.own = new RowRange[devices];
            this.comp = new RowRange[devices];
            this.need = new RowRange[devices];
            this.buffer = new RowRange[devices];
            Arrays.fill(need, RowRange.EMPTY);
        }
    }

    private Geometry(Graph graph, Plan plan) {
        this(graph, plan, FULL);
    }

    /** How far a geometry is built: the analysis (roles, mappings, sync points, the split head), the transfers, all. */
    private static final int ANALYSIS = 0, TRANSFERS = 1, FULL = 2;

    /**
     * {@code upTo == TRANSFERS} stops after the transfers: no programs, accounting or memory layout; {@code ANALYSIS}
     * before the bands too (but for a split head, whose columns follow the rows), with no transfers.
     */
    private Geometry(Graph graph, Plan plan, int upTo) {
        this.graph = graph;
        this.plan = plan;
        this.n = plan.deviceCount();
        this.nodes = graph.nodes();
        if (graph.inputs().size() != 1) {
            throw new IllegalArgumentException("a partitioned run needs a graph with one input, '" + graph.name()
                    + "' has " + graph.inputs().size());
        }
        Graph.Input in = graph.inputs().get(0);
        if (in.shape().length != 4 || in.shape()[0] != 1) {
            throw new IllegalArgumentException("a partitioned run splits the rows of a batch-1 NCHW input; input '"
                    + in.name() + "' has shape " + Shapes.format(in.shape()));
        }
        plan.requireHeight(in.shape()[2]);
        this.input = in.name();
        this.roles = new Role[nodes.size()];
        this.mappings = new RowMapping[nodes.size()];
        classify(in);
        chooseSyncPoints();
        if (upTo > ANALYSIS || plan.headSplit()) {
            bands();
        }
        this.head = findHead();
        // each stage of a split head runs one phase after the one before and before the tail device's steps,
        // so that every transfer is received in a later phase than the one it was sent in
        this.tailPhase = nodes.size() + 1 + (head != null ? head.stages() : 0);
        this.transfers = upTo > ANALYSIS ? Collections.unmodifiableList(makeTransfers()) : List.of();
        this.programs = new ArrayList<>();
        if (upTo < FULL) {
            this.predicted = null;
            this.reserved = null;
            return;
        }
        for (int d = 0; d < n; d++) {
            programs.add(Collections.unmodifiableList(program(d, transfersByDevice())));
        }
        checkPrograms();
        this.predicted = predict();
        this.reserved = new long[n];
        for (int d = 0; d < n; d++) {
            offsets.add(layOut(d));
        }
    }

    /** Buffers are 64-byte aligned inside a device's memory block. */
    private static long align(long bytes) {
        return (Math.max(bytes, 1) + 63) & ~63L;
    }

    /**
     * Places every buffer of device {@code d}'s program in one block of memory, first fit, reusing
     * the room of freed buffers, so a device allocates nothing per inference.
     */
    private Map<String, Long> layOut(int d) {
        Map<String, Long> at = new HashMap<>();
        Map<String, Long> size = new HashMap<>();
        java.util.TreeMap<Long, Long> free = new java.util.TreeMap<>(); // offset -> length
        long top = 0;
        for (Step s : programs.get(d)) {
            if (s instanceof Step.Alloc a) {
                long len = align(a.bytes());
                Long where = null;
                for (Map.Entry<Long, Long> e : free.entrySet()) {
                    if (e.getValue() >= len) {
                        where = e.getKey();
                        break;
                    }
                }
                if (where == null) {
                    where = top;
                    top += len;
                } else {
                    long rest = free.remove(where) - len;
                    if (rest > 0) {
                        free.put(where + len, rest);
                    }
                }
                at.put(a.key(), where);
                size.put(a.key(), len);
            } else if (s instanceof Step.Free f) {
                long off = at.get(f.key());
                long len = size.get(f.key());
                Map.Entry<Long, Long> below = free.floorEntry(off);
                if (below != null && below.getKey() + below.getValue() == off) {
                    off = below.getKey();
                    len += below.getValue();
                    free.remove(off);
                }
                Long above = free.get(off + len);
                if (above != null) {
                    free.remove(off + len);
                    len += above;
                }
                if (off + len == top) {
                    top = off;
                } else {
                    free.put(off, len);
                }
            }
        }
        long max = 0;
        for (Map.Entry<String, Long> e : at.entrySet()) {
            max = Math.max(max, e.getValue() + size.get(e.getKey()));
        }
        reserved[d] = max;
        return Collections.unmodifiableMap(at);
    }

    /**
     * The geometry of {@code plan} on {@code graph}.
     *
     * @throws IllegalArgumentException when the plan's rows do not cover the input map exactly once, or
     *                                  the graph's input is not one batch-1 map
     */
    public static Geometry of(Graph graph, Plan plan) {
        return new Geometry(graph, plan);
    }

    /**
     * The messages of one inference of {@code plan} on {@code graph}, the same as {@code of(graph, plan).transfers()},
     * without building the devices' programs, accounting and memory layout: what a cost model checking many plans
     * needs, at a fraction of the time.
     *
     * @throws IllegalArgumentException as {@link #of(Graph, Plan)}
     */
    public static List<Transfer> transfersOf(Graph graph, Plan plan) {
        return new Geometry(graph, plan, TRANSFERS).transfers;
    }

    /**
     * The row-independent analysis of {@code plan} on {@code graph}, for {@link PlanTransfers}: roles, mappings, sync
     * points and whether a head is split, without the bands (unless a head split asks for them) or the transfers.
     */
    static Geometry analysisOnly(Graph graph, Plan plan) {
        return new Geometry(graph, plan, ANALYSIS);
    }

    /** The graph input's name. */
    String inputName() {
        return input;
    }

    /** True when the plan's head is split (a split head's transfers depend on every device's rows). */
    boolean hasHead() {
        return head != null;
    }

    /** True when the partial sums of reduction {@code node} go to every device, not only the tail. */
    boolean allReduces(int node) {
        return allReduce[node];
    }

    /** Node index of split value {@code value}'s producer, -1 for the graph input. */
    int producer(String value) {
        return splitValue(value).producer;
    }

    /** Height of split value {@code value}. */
    int height(String value) {
        return splitValue(value).height;
    }

    /** Channels of split value {@code value}. */
    int channels(String value) {
        return splitValue(value).channels;
    }

    /** True when the tail device gathers split value {@code value}. */
    boolean isGathered(String value) {
        return splitValue(value).gathered;
    }

    // ---------------------------------------------------------------- analysis

    private void classify(Graph.Input in) {
        split.put(in.name(), new Split(in.name(), -1, in.shape(), n));
        Set<String> whole = new java.util.HashSet<>(); // values every device can hold whole
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            roles[i] = Role.TAIL;
            if (node.outputs().isEmpty() || node.output().isEmpty()) {
                continue;
            }
            int[] out = graph.shape(node.output());
            boolean anySplit = false;
            boolean anyWhole = false;
            boolean other = false;
            boolean wholeBroadcasts = true;
            for (int j = 0; j < node.inputs().size(); j++) {
                if (!node.hasInput(j) || graph.isConstant(node.input(j))) {
                    continue;
                }
                String v = node.input(j);
                if (split.containsKey(v)) {
                    anySplit = true;
                } else if (whole.contains(v)) {
                    anyWhole = true;
                    int[] sh = graph.shape(v);
                    wholeBroadcasts &= sh.length == 4 && sh[2] == 1;
                } else {
                    other = true;
                }
            }
            if (other) {
                continue;
            }
            if (anySplit && node.op().type().equals("GlobalAveragePool") && node.inputs().size() == 1) {
                roles[i] = Role.REDUCTION;
                whole.add(node.output());
                continue;
            }
            if (!anySplit) {
                if (anyWhole && !outputsBeyondFirst(node)) {
                    roles[i] = Role.REPLICATED;
                    whole.add(node.output());
                }
                continue;
            }
            if (out.length != 4 || out[0] != 1 || outputsBeyondFirst(node) || (anyWhole && !wholeBroadcasts)) {
                continue;
            }
            RowMapping m = RowMappings.of(graph, node);
            if (m == null) {
                continue;
            }
            roles[i] = Role.SPLIT;
            mappings[i] = m;
            split.put(node.output(), new Split(node.output(), i, out, n));
        }
        // whole values only split layers need are computed everywhere; the rest belong to the tail
        Set<String> feedsSplit = new java.util.HashSet<>();
        allReduce = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            if (roles[i] != Role.REPLICATED && roles[i] != Role.REDUCTION) {
                continue;
            }
            boolean feeds = false;
            for (Node c : graph.consumers(node.output())) {
                int ci = index(c);
                feeds |= roles[ci] == Role.SPLIT || (roles[ci] == Role.REPLICATED && feedsSplit.contains(c.output()));
            }
            if (feeds) {
                feedsSplit.add(node.output());
            }
            if (roles[i] == Role.REPLICATED && !feeds) {
                roles[i] = Role.TAIL;
            }
            if (roles[i] == Role.REDUCTION) {
                allReduce[i] = feeds;
            }
        }
    }

    private boolean outputsBeyondFirst(Node node) {
        for (int j = 1; j < node.outputs().size(); j++) {
            if (!node.outputs().get(j).isEmpty() && !graph.consumers(node.outputs().get(j)).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private void chooseSyncPoints() {
        int k = plan.sync().fusedLayers();
        Set<String> graphOutputs = new LinkedHashSet<>(graph.outputs());
        split.get(input).sync = true;
        for (int i = 0; i < nodes.size(); i++) {
            if (roles[i] != Role.SPLIT) {
                continue;
            }
            Node node = nodes.get(i);
            Split s = split.get(node.output());
            int depth = 0;
            for (String v : node.inputs()) {
                Split u = split.get(v);
                if (u != null) {
                    depth = Math.max(depth, u.depth);
                }
            }
            s.depth = depth + (mappings[i].windowed() ? 1 : 0);
            boolean readOutside = graphOutputs.contains(s.name);
            for (Node c : graph.consumers(s.name)) {
                if (roles[index(c)] != Role.SPLIT) {
                    readOutside = true;
                }
            }
            s.gathered = false;
            for (Node c : graph.consumers(s.name)) {
                if (roles[index(c)] == Role.TAIL) {
                    s.gathered = true;
                }
            }
            s.gathered |= graphOutputs.contains(s.name);
            s.sync = k == 0 || readOutside || (mappings[i].windowed() && s.depth % k == 0);
        }
    }

    // By identity: a node is a record, and hashing or comparing one walks its operator and value lists, which
    // made this lookup a good part of a transfers-only geometry (the graph hands out the same node objects).
    private final Map<Node, Integer> indexCache = new java.util.IdentityHashMap<>();

    int index(Node node) {
        if (indexCache.isEmpty()) {
            for (int i = 0; i < nodes.size(); i++) {
                indexCache.put(nodes.get(i), i);
            }
        }
        Integer i = indexCache.get(node);
        return i != null ? i : nodes.indexOf(node);
    }

    private void bands() {
        for (Split s : split.values()) {
            if (s.sync) {
                int[] b = plan.boundaries(s.height);
                for (int d = 0; d < n; d++) {
                    s.own[d] = RowRange.of(b[d], b[d + 1]);
                }
            }
            // what reductions and the gather read: the owner's rows
            for (Node c : graph.consumers(s.name)) {
                Role r = roles[index(c)];
                // the tail reads the graph input on the initiator, which holds it whole
                if (r != Role.SPLIT && s.sync && (s.producer >= 0 || r == Role.REDUCTION)) {
                    for (int d = 0; d < n; d++) {
                        s.need[d] = s.need[d].hull(s.own[d]);
                    }
                }
            }
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (roles[i] != Role.SPLIT) {
                continue;
            }
            Node node = nodes.get(i);
            Split out = split.get(node.output());
            for (int d = 0; d < n; d++) {
                out.comp[d] = out.sync ? out.own[d] : out.need[d];
            }
            for (int j = 0; j < node.inputs().size(); j++) {
                Split u = node.hasInput(j) ? split.get(node.input(j)) : null;
                if (u == null) {
                    continue;
                }
                for (int d = 0; d < n; d++) {
                    RowRange c = out.comp[d];
                    if (!c.isEmpty()) {
                        u.need[d] = u.need[d].hull(mappings[i].inputRows(j, c.start(), c.end()).clip(u.height));
                    }
                }
            }
        }
        Split in = split.get(input);
        for (int d = 0; d < n; d++) {
            in.comp[d] = in.need[d];
        }
        for (Split s : split.values()) {
            for (int d = 0; d < n; d++) {
                s.buffer[d] = s.comp[d].hull(s.need[d]);
            }
        }
    }

    /** Operators a split head's chain may hold between the gathered map and the fully connected layer. */
    private static final Set<String> HEAD_CHAIN_OPS = Set.of("Flatten", "Reshape", "Identity", "Dropout");
    /** Operators the chain before a later stage of the split head may hold (elementwise, run on the whole vector). */
    private static final Set<String> HEAD_STAGE_CHAIN_OPS = Set.of("Flatten", "Reshape", "Identity", "Dropout", "Relu");
    /** At most this many chained fully connected layers are split (VGG-16 and AlexNet have three). */
    private static final int MAX_HEAD_STAGES = 8;

    /**
     * The head to split when the plan asks for it: the last split map, gathered for the tail and read only
     * through a short chain of reshaping nodes by a Gemm with constant weights and a one-row input. Its
     * output neurons are divided among the devices owning rows of the map, in proportion to their input
     * rows, at multiples of 16 (where a multi-threaded kernel on one device divides them too).
     */
    private Head findHead() {
        if (!plan.headSplit()) {
            return null;
        }
        Set<String> graphOutputs = Set.copyOf(graph.outputs());
        int last = -1;
        for (int i = 0; i < nodes.size(); i++) {
            if (roles[i] != Role.TAIL) {
                last = i;
            }
        }
        if (last < 0 || roles[last] != Role.SPLIT) {
            return null;
        }
        Split s = split.get(nodes.get(last).output());
        if (!s.gathered || !s.sync || graphOutputs.contains(s.name) || graph.consumers(s.name).size() != 1) {
            return null;
        }
        List<int[]> chains = new ArrayList<>();
        List<Integer> layers = new ArrayList<>();
        List<Integer> chain = new ArrayList<>();
        String v = s.name;
        Node c = graph.consumers(s.name).get(0);
        // the first stage must be found; each later one is taken while the chain leads to another such layer
        while (layers.size() < MAX_HEAD_STAGES && chain.size() <= 4) {
            int ci = index(c);
            if (roles[ci] != Role.TAIL || !readsOnly(c, v)) {
                break;
            }
            if (c.op() instanceof Gemm g) {
                if (!headGemm(c, g, v)) {
                    break;
                }
                chains.add(chain.stream().mapToInt(Integer::intValue).toArray());
                layers.add(ci);
                chain = new ArrayList<>();
            } else if (!(layers.isEmpty() ? HEAD_CHAIN_OPS : HEAD_STAGE_CHAIN_OPS).contains(c.op().type())
                    || outputsBeyondFirst(c)) {
                break;
            } else {
                chain.add(ci);
            }
            v = c.output();
            if (graphOutputs.contains(v) || graph.consumers(v).size() != 1) {
                break;
            }
            c = graph.consumers(v).get(0);
        }
        if (layers.isEmpty()) {
            return null;
        }
        RowRange[][] columns = new RowRange[layers.size()][];
        for (int k = 0; k < columns.length; k++) {
            columns[k] = headColumns(s, graph.shape(nodes.get(layers.get(k)).output())[1]);
        }
        return new Head(s, chains.toArray(int[][]::new), layers.stream().mapToInt(Integer::intValue).toArray(), columns);
    }

    /** True when {@code node}'s only non-constant input is {@code value}, as its first input. */
    private boolean readsOnly(Node node, String value) {
        if (node.inputs().isEmpty() || !node.input(0).equals(value)) {
            return false;
        }
        for (int j = 1; j < node.inputs().size(); j++) {
            if (node.hasInput(j) && !graph.isConstant(node.input(j))) {
                return false;
            }
        }
        return true;
    }

    /** A Gemm whose output neurons can be computed apart: one input row, constant weight and bias. */
    private boolean headGemm(Node node, Gemm g, String input) {
        int[] a = graph.shape(input);
        int[] out = graph.shape(node.output());
        if (g.transA() || a.length != 2 || a[0] != 1 || out.length != 2 || out[0] != 1 || !node.hasInput(1)
                || graph.constant(node.input(1)).rank() != 2) {
            return false;
        }
        if (node.hasInput(2)) {
            long size = graph.constant(node.input(2)).size();
            return size == 1 || size == out[1];
        }
        return true;
    }

    private RowRange[] headColumns(Split s, int outputs) {
        RowRange[] cols = new RowRange[n];
        Arrays.fill(cols, RowRange.EMPTY);
        long total = 0;
        int lastHolder = -1;
        for (int d = 0; d < n; d++) {
            if (!s.own[d].isEmpty()) {
                total += plan.rows(d);
                lastHolder = d;
            }
        }
        long cum = 0;
        int at = 0;
        for (int d = 0; d < n; d++) {
            if (s.own[d].isEmpty()) {
                continue;
            }
            cum += plan.rows(d);
            int end = d == lastHolder ? outputs : (int) Math.min(outputs, (outputs * cum / total + 8) / 16 * 16);
            cols[d] = RowRange.of(at, end);
            at = Math.max(at, end);
        }
        return cols;
    }

    int firstSplitConsumer(String value) {
        for (Node c : graph.consumers(value)) {
            if (roles[index(c)] == Role.SPLIT) {
                return index(c);
            }
        }
        return -1;
    }

    private List<Transfer> makeTransfers() {
        List<Transfer> list = new ArrayList<>();
        int tail = plan.tail();
        Split in = split.get(input);
        int inStage = Math.max(0, firstSplitConsumer(input));
        for (int d = 0; d < n; d++) {
            if (d != tail && !in.need[d].isEmpty()) {
                list.add(new Transfer(list.size(), Transfer.Kind.SCATTER, input, inStage, tail, d, in.need[d].start(),
                        in.need[d].end(), in.need[d].size() * in.rowBytes));
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            if (roles[i] == Role.SPLIT) {
                Split s = split.get(nodes.get(i).output());
                if (s.sync) {
                    for (int d = 0; d < n; d++) {
                        for (int j = 0; j < n; j++) {
                            if (j == d) {
                                continue;
                            }
                            RowRange r = s.need[d].intersect(s.own[j]);
                            if (!r.isEmpty()) {
                                list.add(new Transfer(list.size(), Transfer.Kind.HALO, s.name, i, j, d, r.start(), r.end(),
                                        r.size() * s.rowBytes));
                            }
                        }
                    }
                }
                if (s.gathered && head != null && head.source == s) {
                    // all-gather among the devices computing a slice of the head
                    for (int d = 0; d < n; d++) {
                        for (int e = 0; e < n; e++) {
                            if (e != d && !s.own[d].isEmpty() && head.runsOn(e)) {
                                list.add(new Transfer(list.size(), Transfer.Kind.GATHER, s.name, i, d, e, s.own[d].start(),
                                        s.own[d].end(), s.own[d].size() * s.rowBytes));
                            }
                        }
                    }
                } else if (s.gathered) {
                    for (int d = 0; d < n; d++) {
                        if (d != tail && !s.own[d].isEmpty()) {
                            list.add(new Transfer(list.size(), Transfer.Kind.GATHER, s.name, i, d, tail, s.own[d].start(),
                                    s.own[d].end(), s.own[d].size() * s.rowBytes));
                        }
                    }
                }
            } else if (roles[i] == Role.REDUCTION) {
                Split s = split.get(nodes.get(i).input(0));
                for (int d = 0; d < n; d++) {
                    for (int e = 0; e < n; e++) {
                        boolean wanted = allReduce[i] ? e != d : e == tail && d != tail;
                        if (wanted && !s.own[d].isEmpty()) {
                            list.add(new Transfer(list.size(), Transfer.Kind.PARTIAL_SUM, s.name, i, d, e, s.own[d].start(),
                                    s.own[d].end(), (long) s.channels * Float.BYTES));
                        }
                    }
                }
            }
        }
        if (head != null) {
            int last = head.stages() - 1;
            for (int k = 0; k <= last; k++) {
                int node = head.nodes[k];
                String out = nodes.get(node).output();
                for (int d = 0; d < n; d++) {
                    RowRange c = head.columns[k][d];
                    for (int e = 0; e < n && !c.isEmpty(); e++) {
                        // a stage's neurons go to every device of the next stage, the last stage's to the tail
                        if (e != d && (k < last ? head.runsOn(e) : e == tail)) {
                            list.add(new Transfer(list.size(), Transfer.Kind.SLICE, out, node, d, e, c.start(), c.end(),
                                    (long) c.size() * Float.BYTES));
                        }
                    }
                }
            }
        }
        return list;
    }

    private List<List<Transfer>> transfersByDevice() {
        List<List<Transfer>> out = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            out.add(new ArrayList<>());
        }
        for (Transfer t : transfers) {
            out.get(t.from()).add(t);
            if (t.to() != t.from()) {
                out.get(t.to()).add(t);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- programs

    private static String band(String v) {
        return "b:" + v;
    }

    private List<Step> program(int d, List<List<Transfer>> byDevice) {
        List<Step> steps = new ArrayList<>();
        List<Transfer> mine = byDevice.get(d);
        int tail = plan.tail();
        Split in = split.get(input);
        Set<String> received = new java.util.HashSet<>();
        if (d == tail) {
            steps.add(new Step.Alloc(0, "i:" + input, graph.shape(input), 0));
            for (Transfer t : mine) {
                if (t.kind() == Transfer.Kind.SCATTER) {
                    steps.add(new Step.Send(0, t, "i:" + input, t.rowStart() * in.rowBytes));
                }
            }
        }
        if (!in.buffer[d].isEmpty()) {
            steps.add(new Step.Alloc(0, band(input), new int[] {1, in.channels, in.buffer[d].size(), in.width},
                    in.buffer[d].start()));
            if (d == tail) {
                steps.add(new Step.Copy(0, "i:" + input, band(input), in.buffer[d]));
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            int phase = i + 1;
            Node node = nodes.get(i);
            if (roles[i] == Role.SPLIT) {
                Split out = split.get(node.output());
                receiveInputs(steps, node, d, phase, mine, received);
                if (!out.buffer[d].isEmpty()) {
                    steps.add(new Step.Alloc(phase, band(out.name),
                            new int[] {1, out.channels, out.buffer[d].size(), out.width}, out.buffer[d].start()));
                }
                RowRange comp = out.comp[d];
                List<Transfer> sends = new ArrayList<>();
                for (Transfer t : mine) {
                    if (t.from() == d && t.kind() == Transfer.Kind.HALO && t.value().equals(out.name)) {
                        sends.add(t);
                    }
                }
                // rows the neighbours wait for first, then send, then the interior
                List<RowRange> first = merge(sends);
                for (RowRange r : first) {
                    steps.add(new Step.Compute(phase, i, r));
                }
                for (Transfer t : sends) {
                    steps.add(new Step.Send(phase, t, band(out.name), (t.rowStart() - out.buffer[d].start()) * out.rowBytes));
                }
                for (RowRange r : subtract(comp, first)) {
                    steps.add(new Step.Compute(phase, i, r));
                }
                for (Transfer t : mine) {
                    if (t.from() == d && t.kind() == Transfer.Kind.GATHER && t.value().equals(out.name)) {
                        steps.add(new Step.Send(phase, t, band(out.name), (t.rowStart() - out.buffer[d].start()) * out.rowBytes));
                    }
                }
            } else if (roles[i] == Role.REDUCTION && allReduce[i]) {
                // every device adds every device's partial sums, in device order, so all hold the same bits
                receiveInputs(steps, node, d, phase, mine, received);
                Split u = split.get(node.input(0));
                String key = "p:" + i;
                steps.add(new Step.Alloc(phase, key, new int[] {n, u.channels}, 0));
                if (!u.own[d].isEmpty()) {
                    steps.add(new Step.PartialSum(phase, i, u.own[d], d));
                }
                for (Transfer t : mine) {
                    if (t.from() == d && t.kind() == Transfer.Kind.PARTIAL_SUM && t.stage() == i) {
                        steps.add(new Step.Send(phase, t, key, (long) d * u.channels * Float.BYTES));
                    }
                }
                // received one phase later: in lockstep every device has sent by then
                for (Transfer t : mine) {
                    if (t.to() == d && t.kind() == Transfer.Kind.PARTIAL_SUM && t.stage() == i) {
                        steps.add(new Step.Receive(phase + 1, t, key, (long) t.from() * u.channels * Float.BYTES));
                    }
                }
                steps.add(new Step.Alloc(phase + 1, "t:" + node.output(), graph.shape(node.output()), 0));
                steps.add(new Step.FinishReduction(phase + 1, i, n));
            } else if (roles[i] == Role.REDUCTION) {
                receiveInputs(steps, node, d, phase, mine, received);
                Split u = split.get(node.input(0));
                String key = "p:" + i;
                if (d == tail) {
                    steps.add(new Step.Alloc(phase, key, new int[] {n, u.channels}, 0));
                    if (!u.own[d].isEmpty()) {
                        steps.add(new Step.PartialSum(phase, i, u.own[d], d));
                    }
                } else if (!u.own[d].isEmpty()) {
                    steps.add(new Step.Alloc(phase, key, new int[] {1, u.channels}, 0));
                    steps.add(new Step.PartialSum(phase, i, u.own[d], 0));
                    for (Transfer t : mine) {
                        if (t.from() == d && t.kind() == Transfer.Kind.PARTIAL_SUM && t.stage() == i) {
                            steps.add(new Step.Send(phase, t, key, 0));
                        }
                    }
                }
            } else if (roles[i] == Role.REPLICATED) {
                for (String o : node.outputs()) {
                    if (!o.isEmpty()) {
                        steps.add(new Step.Alloc(phase, "t:" + o, graph.shape(o), 0));
                    }
                }
                steps.add(new Step.RunTail(phase, i));
            }
        }
        if (head != null && head.runsOn(d)) {
            headProgram(steps, d, mine);
        }
        if (d == tail) {
            int phase = tailPhase;
            List<Split> gathered = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                Split s = roles[i] == Role.SPLIT ? split.get(nodes.get(i).output()) : null;
                if (s != null && s.gathered && (head == null || head.source != s)) {
                    gathered.add(s);
                }
            }
            for (Split s : gathered) {
                String g = "g:" + s.name;
                steps.add(new Step.Alloc(phase, g, new int[] {1, s.channels, s.height, s.width}, 0));
                if (!s.own[d].isEmpty()) {
                    steps.add(new Step.Copy(phase, band(s.name), g, s.own[d]));
                }
            }
            for (Split s : gathered) {
                for (Transfer t : mine) {
                    if (t.to() == d && t.kind() == Transfer.Kind.GATHER && t.value().equals(s.name)) {
                        steps.add(new Step.Receive(phase, t, "g:" + s.name, t.rowStart() * s.rowBytes));
                    }
                }
            }
            if (head != null) {
                int lastNode = head.nodes[head.stages() - 1];
                String out = nodes.get(lastNode).output();
                if (!head.runsOn(d)) {
                    steps.add(new Step.Alloc(phase, "t:" + out, graph.shape(out), 0));
                }
                for (Transfer t : mine) {
                    if (t.to() == d && t.kind() == Transfer.Kind.SLICE && t.stage() == lastNode) {
                        steps.add(new Step.Receive(phase, t, "t:" + out, (long) t.rowStart() * Float.BYTES));
                    }
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                if (head != null && head.contains(i)) {
                    continue;
                }
                if (roles[i] == Role.REDUCTION && !allReduce[i]) {
                    Split u = split.get(nodes.get(i).input(0));
                    for (Transfer t : mine) {
                        if (t.to() == d && t.kind() == Transfer.Kind.PARTIAL_SUM && t.stage() == i) {
                            steps.add(new Step.Receive(phase, t, "p:" + i, (long) t.from() * u.channels * Float.BYTES));
                        }
                    }
                    steps.add(new Step.Alloc(phase, "t:" + nodes.get(i).output(), graph.shape(nodes.get(i).output()), 0));
                    steps.add(new Step.FinishReduction(phase, i, n));
                } else if (roles[i] == Role.TAIL) {
                    for (String o : nodes.get(i).outputs()) {
                        if (!o.isEmpty()) {
                            steps.add(new Step.Alloc(phase, "t:" + o, graph.shape(o), 0));
                        }
                    }
                    steps.add(new Step.RunTail(phase, i));
                }
            }
        }
        return withFrees(inSenderOrder(steps), d == tail);
    }

    /**
     * A device's share of the split head, each stage one phase after the one before, all before the tail
     * device's steps. First stage: the whole source map (own rows copied, the others' received), the chain on
     * it, then its columns of the stage's layer. Each later stage: the previous stage's output, its own columns
     * written there in place and the others' received, the chain on it, then its columns of the stage's layer.
     * The last stage's columns are written in place on the tail device and sent there from the others.
     */
    private void headProgram(List<Step> steps, int d, List<Transfer> mine) {
        int phase = nodes.size() + 1;
        Split s = head.source;
        String g = "g:" + s.name;
        steps.add(new Step.Alloc(phase, g, new int[] {1, s.channels, s.height, s.width}, 0));
        if (!s.own[d].isEmpty()) {
            steps.add(new Step.Copy(phase, band(s.name), g, s.own[d]));
        }
        for (Transfer t : mine) {
            if (t.to() == d && t.kind() == Transfer.Kind.GATHER && t.value().equals(s.name)) {
                steps.add(new Step.Receive(phase, t, g, t.rowStart() * s.rowBytes));
            }
        }
        int last = head.stages() - 1;
        for (int k = 0; k <= last; k++) {
            phase = nodes.size() + 1 + k;
            if (k > 0) {
                int before = head.nodes[k - 1];
                for (Transfer t : mine) {
                    if (t.to() == d && t.kind() == Transfer.Kind.SLICE && t.stage() == before) {
                        steps.add(new Step.Receive(phase, t, "t:" + nodes.get(before).output(),
                                (long) t.rowStart() * Float.BYTES));
                    }
                }
            }
            for (int c : head.chains[k]) {
                for (String o : nodes.get(c).outputs()) {
                    if (!o.isEmpty()) {
                        steps.add(new Step.Alloc(phase, "t:" + o, graph.shape(o), 0));
                    }
                }
                steps.add(new Step.RunTail(phase, c));
            }
            int node = head.nodes[k];
            String out = nodes.get(node).output();
            RowRange cols = head.columns[k][d];
            if (k < last || d == plan.tail()) {
                // the whole output, the device's columns in place: the next stage (or the tail) reads all of it
                steps.add(new Step.Alloc(phase, "t:" + out, graph.shape(out), 0));
                if (!cols.isEmpty()) {
                    steps.add(new Step.HeadSlice(phase, node, cols, "t:" + out, (long) cols.start() * Float.BYTES));
                }
                for (Transfer t : mine) {
                    if (t.from() == d && t.kind() == Transfer.Kind.SLICE && t.stage() == node) {
                        steps.add(new Step.Send(phase, t, "t:" + out, (long) cols.start() * Float.BYTES));
                    }
                }
                continue;
            }
            if (cols.isEmpty()) {
                continue;
            }
            steps.add(new Step.Alloc(phase, "s:" + out, new int[] {1, cols.size()}, 0));
            steps.add(new Step.HeadSlice(phase, node, cols, "s:" + out, 0));
            for (Transfer t : mine) {
                if (t.from() == d && t.kind() == Transfer.Kind.SLICE && t.stage() == node) {
                    steps.add(new Step.Send(phase, t, "s:" + out, 0));
                }
            }
        }
    }

    /**
     * Moves receives so that, per sender, a device receives transfers in the order the sender sends
     * them (ascending id): a receive first takes the sender's earlier transfers still pending. Then a
     * transport may deliver each sender's messages strictly in order, straight into place, without
     * staging. The destinations of the earlier transfers are allocated by then: their values were
     * produced no later than the awaited one's.
     */
    private List<Step> inSenderOrder(List<Step> steps) {
        Map<Integer, java.util.TreeMap<Integer, Step.Receive>> pending = new HashMap<>();
        for (Step s : steps) {
            if (s instanceof Step.Receive r) {
                pending.computeIfAbsent(r.t().from(), k -> new java.util.TreeMap<>()).put(r.t().id(), r);
            }
        }
        List<Step> out = new ArrayList<>();
        for (Step s : steps) {
            if (!(s instanceof Step.Receive r)) {
                out.add(s);
                continue;
            }
            java.util.TreeMap<Integer, Step.Receive> mine = pending.get(r.t().from());
            while (!mine.isEmpty() && mine.firstKey() <= r.t().id()) {
                Step.Receive first = mine.pollFirstEntry().getValue();
                out.add(new Step.Receive(r.phase(), first.t(), first.key(), first.offset()));
            }
        }
        return out;
    }

    /** Receives the halos and input bands of {@code node}'s split inputs, at their first reader. */
    private void receiveInputs(List<Step> steps, Node node, int d, int phase, List<Transfer> mine, Set<String> received) {
        for (String v : new LinkedHashSet<>(node.inputs())) {
            Split u = split.get(v);
            if (u == null || u.buffer[d].isEmpty() || !received.add(v)) {
                continue;
            }
            for (Transfer t : mine) {
                if (t.to() == d && t.value().equals(v)
                        && (t.kind() == Transfer.Kind.HALO || t.kind() == Transfer.Kind.SCATTER)) {
                    steps.add(new Step.Receive(phase, t, band(v), (t.rowStart() - u.buffer[d].start()) * u.rowBytes));
                }
            }
        }
    }

    /** Every transfer is sent once by its sender and received once by its receiver: else a bug here. */
    private void checkPrograms() {
        int[] sends = new int[transfers.size()];
        int[] receives = new int[transfers.size()];
        for (int d = 0; d < n; d++) {
            for (Step s : programs.get(d)) {
                if (s instanceof Step.Send t && t.t().from() == d) {
                    sends[t.t().id()]++;
                } else if (s instanceof Step.Receive r && r.t().to() == d) {
                    receives[r.t().id()]++;
                }
            }
        }
        for (Transfer t : transfers) {
            if (sends[t.id()] != 1 || receives[t.id()] != 1) {
                throw new IllegalStateException("transfer " + t + " is sent " + sends[t.id()] + " times and received "
                        + receives[t.id()] + " times in the device programs of " + graph.name());
            }
        }
    }

    /** Sorted, merged row ranges of some transfers. */
    private static List<RowRange> merge(List<Transfer> ts) {
        List<RowRange> rs = new ArrayList<>();
        for (Transfer t : ts) {
            rs.add(t.rows());
        }
        rs.sort((a, b) -> Integer.compare(a.start(), b.start()));
        List<RowRange> out = new ArrayList<>();
        for (RowRange r : rs) {
            if (!out.isEmpty() && out.get(out.size() - 1).end() >= r.start()) {
                RowRange last = out.remove(out.size() - 1);
                out.add(last.hull(r));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /** {@code whole} minus sorted disjoint {@code parts} (each inside {@code whole}). */
    private static List<RowRange> subtract(RowRange whole, List<RowRange> parts) {
        List<RowRange> out = new ArrayList<>();
        int at = whole.start();
        for (RowRange p : parts) {
            if (p.start() > at) {
                out.add(RowRange.of(at, p.start()));
            }
            at = Math.max(at, p.end());
        }
        if (whole.end() > at) {
            out.add(RowRange.of(at, whole.end()));
        }
        return out;
    }

    /** Inserts a Free after the last step that uses each buffer, except values the caller gets back. */
    private List<Step> withFrees(List<Step> steps, boolean isTail) {
        Map<String, Integer> last = new HashMap<>();
        for (int k = 0; k < steps.size(); k++) {
            for (String key : keys(steps.get(k))) {
                last.put(key, k);
            }
        }
        Set<String> keep = new java.util.HashSet<>();
        if (isTail) {
            for (String o : graph.outputs()) {
                keep.add(resultKey(o));
            }
        }
        Set<String> allocated = new java.util.HashSet<>();
        for (Step s : steps) {
            if (s instanceof Step.Alloc a) {
                allocated.add(a.key());
            }
        }
        List<Step> out = new ArrayList<>();
        for (int k = 0; k < steps.size(); k++) {
            Step s = steps.get(k);
            out.add(s);
            for (String key : keys(s)) {
                if (last.get(key) == k && !keep.contains(key) && allocated.contains(key)) {
                    out.add(new Step.Free(s.phase(), key));
                    last.put(key, -1);
                }
            }
        }
        return out;
    }

    /** The buffer holding graph output {@code value} on the tail device at the end. */
    String resultKey(String value) {
        Split s = split.get(value);
        if (value.equals(input)) {
            return "i:" + value;
        }
        return s != null ? "g:" + value : "t:" + value;
    }

    /** Buffer key a tail node reads value {@code v} from. */
    String tailKey(String v) {
        if (v.equals(input)) {
            return "i:" + v;
        }
        return split.containsKey(v) ? "g:" + v : "t:" + v;
    }

    private List<String> keys(Step s) {
        return switch (s) {
            case Step.Alloc a -> List.of(a.key());
            case Step.Free f -> List.of(f.key());
            case Step.Send t -> List.of(t.key());
            case Step.Receive r -> List.of(r.key());
            case Step.Copy c -> List.of(c.from(), c.to());
            case Step.PartialSum p -> List.of("p:" + p.node(), band(nodes.get(p.node()).input(0)));
            case Step.FinishReduction f -> List.of("p:" + f.node(), "t:" + nodes.get(f.node()).output());
            case Step.HeadSlice h -> List.of(tailKey(nodes.get(h.node()).input(0)), h.key());
            case Step.Compute c -> {
                List<String> k = new ArrayList<>();
                Node node = nodes.get(c.node());
                for (String v : node.inputs()) {
                    if (split.containsKey(v)) {
                        k.add(band(v));
                    } else if (!v.isEmpty() && !graph.isConstant(v)) {
                        k.add("t:" + v);
                    }
                }
                k.add(band(node.output()));
                yield k;
            }
            case Step.RunTail r -> {
                List<String> k = new ArrayList<>();
                Node node = nodes.get(r.node());
                for (String v : node.inputs()) {
                    if (!v.isEmpty() && !graph.isConstant(v)) {
                        k.add(tailKey(v));
                    }
                }
                for (String o : node.outputs()) {
                    if (!o.isEmpty()) {
                        k.add("t:" + o);
                    }
                }
                yield k;
            }
        };
    }

    // ---------------------------------------------------------------- accounting

    /**
     * FLOPs of split node {@code node} computing output rows {@code rows}:
     * {@code floor(F * end / H) - floor(F * start / H)} for the node's FLOPs {@code F} and output height
     * {@code H}. Exact for operators whose cost is the same for every row (conv, pooling, element-wise:
     * then it is {@code rows * F / H}), and additive over adjacent bands in every case, so the bands
     * of a split always add up to {@code F}.
     */
    public long bandFlops(int node, RowRange rows) {
        Node nd = nodes.get(node);
        return bandFlops(graph.flops(nd), graph.shape(nd.output())[2], rows.start(), rows.end());
    }

    /** {@link #bandFlops(int, RowRange)} of a node with {@code full} FLOPs over {@code height} output rows. */
    static long bandFlops(long full, int height, int start, int end) {
        return Math.floorDiv(full * end, height) - Math.floorDiv(full * start, height);
    }

    /**
     * FLOPs of device {@code device}'s columns of split layer {@code node} ({@link #headNodes}), additive over the
     * devices as {@link #bandFlops} is over bands; 0 for other nodes.
     */
    public long headSliceFlops(int node, int device) {
        int k = head == null ? -1 : head.stageOf(node);
        if (k < 0) {
            return 0;
        }
        Node nd = nodes.get(node);
        long full = graph.flops(nd);
        int outputs = graph.shape(nd.output())[1];
        RowRange c = head.columns[k][device];
        return Math.floorDiv(full * c.end(), outputs) - Math.floorDiv(full * c.start(), outputs);
    }

    /** FLOPs of a device's partial sums over {@code rows} rows of the input of reduction {@code node}. */
    public long partialSumFlops(int node, int rows) {
        // GlobalAveragePool counts one add per input element
        Split u = split.get(nodes.get(node).input(0));
        return (long) rows * u.width * u.channels;
    }

    private Accounting predict() {
        Accounting a = new Accounting(n, nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            switch (roles[i]) {
                case SPLIT -> {
                    Split s = split.get(nodes.get(i).output());
                    for (int d = 0; d < n; d++) {
                        if (!s.comp[d].isEmpty()) {
                            a.addFlops(d, i, bandFlops(i, s.comp[d]));
                        }
                    }
                }
                case REDUCTION -> {
                    Split u = split.get(nodes.get(i).input(0));
                    for (int d = 0; d < n; d++) {
                        if (!u.own[d].isEmpty()) {
                            a.addFlops(d, i, partialSumFlops(i, u.own[d].size()));
                        }
                    }
                }
                case REPLICATED -> {
                    for (int d = 0; d < n; d++) {
                        a.addFlops(d, i, graph.flops(nodes.get(i)));
                    }
                }
                case TAIL -> {
                    if (head != null && head.contains(i)) {
                        for (int d = 0; d < n; d++) {
                            if (head.runsOn(d)) {
                                a.addFlops(d, i, head.stageOf(i) >= 0 ? headSliceFlops(i, d) : graph.flops(nodes.get(i)));
                            }
                        }
                    } else {
                        a.addFlops(plan.tail(), i, graph.flops(nodes.get(i)));
                    }
                }
            }
        }
        for (Transfer t : transfers) {
            a.addTransfer(t, true);
            a.addTransfer(t, false);
        }
        for (int d = 0; d < n; d++) {
            Map<String, Long> sizes = new HashMap<>();
            for (Step s : programs.get(d)) {
                if (s instanceof Step.Alloc al) {
                    sizes.put(al.key(), al.bytes());
                    a.allocate(d, al.bytes());
                } else if (s instanceof Step.Free f) {
                    a.free(d, sizes.remove(f.key()));
                }
            }
        }
        return a;
    }

    // ---------------------------------------------------------------- queries

    public Graph graph() {
        return graph;
    }

    public Plan plan() {
        return plan;
    }

    /** How node {@code node} (index in {@code graph.nodes()}) runs. */
    public Role role(int node) {
        return roles[node];
    }

    /** The row mapping of a split node, else null. */
    public RowMapping mapping(int node) {
        return mappings[node];
    }

    /** Every message of one inference; {@code transfers().get(i).id() == i}. */
    public List<Transfer> transfers() {
        return transfers;
    }

    /** The steps device {@code device} runs for one inference, in order. */
    public List<Step> program(int device) {
        return programs.get(device);
    }

    /** The node index of the split head's first layer ({@link Plan#headSplit()}), or -1 when none is split. */
    public int headNode() {
        return head == null ? -1 : head.node;
    }

    /** True when node {@code node} is one of the split head's layers ({@link #headNodes}). */
    public boolean isHeadNode(int node) {
        return head != null && head.stageOf(node) >= 0;
    }

    /** The node indices of the split head's layers, stage by stage; empty when none is split. */
    public int[] headNodes() {
        return head == null ? new int[0] : head.nodes.clone();
    }

    /**
     * Output columns (neurons) of the split head device {@code device} computes: empty when none, or when
     * no head is split.
     */
    public RowRange headColumns(int device) {
        return head == null ? RowRange.EMPTY : head.columns[0][device];
    }

    /** Output columns of split layer {@code node} ({@link #headNodes}) device {@code device} computes; empty elsewhere. */
    public RowRange headColumns(int node, int device) {
        int k = head == null ? -1 : head.stageOf(node);
        return k < 0 ? RowRange.EMPTY : head.columns[k][device];
    }

    /** True when device {@code device} runs tail node {@code node} (whole, or its columns of the split head). */
    public boolean runsTailNode(int device, int node) {
        if (roles[node] != Role.TAIL) {
            return false;
        }
        if (head != null && head.contains(node)) {
            return head.stageOf(node) >= 0 ? !headColumns(node, device).isEmpty() : head.runsOn(device);
        }
        return device == plan.tail();
    }

    /** The phase of the tail device's final steps (gather, reductions, tail nodes). */
    public int tailPhase() {
        return tailPhase;
    }

    /**
     * Size of the one block of memory device {@code device} reserves for its buffers (first-fit
     * placement of its program's buffers; at least its peak bytes, a little more for alignment and
     * fragmentation).
     */
    public long reservedBytes(int device) {
        return reserved[device];
    }

    /**
     * Bytes of constants (weights) device {@code device} needs: those of the split and replicated
     * layers on every device, the tail's on the tail device only. With {@code reservedBytes} this is
     * the device's memory need ({@code weights_i + activations(a_i)} of the cost model).
     */
    public long weightBytes(int device) {
        Set<String> used = new java.util.HashSet<>();
        long bytes = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (roles[i] == Role.TAIL && !runsTailNode(device, i)) {
                continue;
            }
            if (head != null && head.stageOf(i) >= 0) {
                // the device's rows of the weight (its output neurons) and of the bias
                Node nd = nodes.get(i);
                int outputs = graph.shape(nd.output())[1];
                int cols = headColumns(i, device).size();
                for (int j = 1; j < nd.inputs().size(); j++) {
                    if (nd.hasInput(j) && used.add(nd.input(j))) {
                        long b = graph.constant(nd.input(j)).byteSize();
                        bytes += b == Float.BYTES ? b : b / outputs * cols;
                    }
                }
                continue;
            }
            for (String v : nodes.get(i).inputs()) {
                if (!v.isEmpty() && graph.isConstant(v) && used.add(v)) {
                    bytes += graph.constant(v).byteSize();
                }
            }
        }
        return bytes;
    }

    /** Byte offset of buffer {@code key} of device {@code device} in its reserved block. */
    long offset(int device, String key) {
        return offsets.get(device).get(key);
    }

    /** FLOPs, bytes and peak memory per device per layer, as a run counts them. */
    public Accounting predicted() {
        return predicted;
    }

    /** True when {@code value} is a split map. */
    public boolean isSplit(String value) {
        return split.containsKey(value);
    }

    /** True when devices exchange halos of this split value (it is a sync point). */
    public boolean isSync(String value) {
        return splitValue(value).sync;
    }

    /** Rows device {@code device} computes of split node {@code node}'s output. */
    public RowRange computedRows(int node, int device) {
        return splitValue(nodes.get(node).output()).comp[device];
    }

    /** Rows device {@code device} owns of split value {@code value} (null for non-sync values). */
    public RowRange ownedRows(String value, int device) {
        return splitValue(value).own[device];
    }

    /** Rows of split value {@code value} device {@code device} reads (its consumers' input bands). */
    public RowRange neededRows(String value, int device) {
        return splitValue(value).need[device];
    }

    /** Rows of split value {@code value} device {@code device} holds: computed rows plus halo. */
    public RowRange bufferRows(String value, int device) {
        return splitValue(value).buffer[device];
    }

    /** Rows of the output of split node {@code node} device {@code device} receives from others. */
    public int haloRows(int node, int device) {
        int rows = 0;
        String v = nodes.get(node).output();
        for (Transfer t : transfers) {
            if (t.to() == device && t.value().equals(v) && t.kind() == Transfer.Kind.HALO) {
                rows += t.rowEnd() - t.rowStart();
            }
        }
        return rows;
    }

    /** FLOPs per output row of split node {@code node} ({@code rho_l}); exact when they divide evenly. */
    public double flopsPerRow(int node) {
        return (double) graph.flops(nodes.get(node)) / graph.shape(nodes.get(node).output())[2];
    }

    /** Bytes in one row of split value {@code value} ({@code beta_l}): {@code W * C * 4}. */
    public long rowBytes(String value) {
        return splitValue(value).rowBytes;
    }

    /** FLOPs of the whole inference on one device. */
    public long oneDeviceFlops() {
        return graph.totalFlops();
    }

    /**
     * FLOPs of the split layers computed beyond a one-device run: halo rows computed redundantly in
     * fused mode. Zero with {@link Sync#every()}. It can be negative in fused mode, where a row of an
     * unsynchronised layer that no later layer reads (a strided window that skips it) is computed by
     * nobody.
     */
    public long redundantFlops() {
        long split = 0;
        long base = 0;
        for (int i = 0; i < nodes.size(); i++) {
            if (roles[i] == Role.SPLIT) {
                base += graph.flops(nodes.get(i));
                for (int d = 0; d < n; d++) {
                    split += predicted.flops(d, i);
                }
            }
        }
        return split - base;
    }

    /**
     * Peak bytes of feature maps one device holds running the whole graph alone, freeing each value
     * after its last reader (the same rule the partitioned programs use).
     */
    public long oneDevicePeakBytes() {
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String v : nodes.get(i).inputs()) {
                if (!v.isEmpty() && !graph.isConstant(v)) {
                    lastUse.put(v, i);
                }
            }
        }
        for (String o : graph.outputs()) {
            lastUse.put(o, nodes.size());
        }
        long live = Shapes.size(graph.shape(input)) * Float.BYTES;
        long peak = live;
        Map<String, Long> sizes = new HashMap<>();
        sizes.put(input, live);
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).outputs()) {
                if (!o.isEmpty()) {
                    long b = Shapes.size(graph.shape(o)) * Float.BYTES;
                    sizes.put(o, b);
                    live += b;
                }
            }
            peak = Math.max(peak, live);
            for (Map.Entry<String, Long> e : new ArrayList<>(sizes.entrySet())) {
                Integer lu = lastUse.get(e.getKey());
                if (lu == null || lu <= i) {
                    live -= e.getValue();
                    sizes.remove(e.getKey());
                }
            }
        }
        return peak;
    }

    private Split splitValue(String value) {
        Split s = split.get(value);
        if (s == null) {
            throw new IllegalArgumentException("'" + value + "' is not a split map of graph " + graph.name());
        }
        return s;
    }

    /**
     * One device's work at one layer, for cost models.
     *
     * @param layer         index in {@code graph.nodes()}
     * @param rows          output rows the device computes (split layers), input rows it sums
     *                      (reductions), the output height where it runs a whole replicated layer, 1 for
     *                      a tail layer on the tail device, else 0
     * @param haloRows      rows of this layer's output the device receives from others (split layers)
     * @param bytesSent     bytes the device sends that carry this layer's output (input scatter at the
     *                      first layer reading the input)
     * @param bytesReceived bytes it receives of them
     */
    public record LayerCost(int layer, String name, Role role, int device, int rows, long flops, int haloRows,
                            long bytesSent, long bytesReceived) {
    }

    /** {@link LayerCost} of every device at every layer where it does or moves anything. */
    public List<LayerCost> costs() {
        List<LayerCost> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            for (int d = 0; d < n; d++) {
                int rows = switch (roles[i]) {
                    case SPLIT -> computedRows(i, d).size();
                    case REDUCTION -> split.get(node.input(0)).own[d].size();
                    case REPLICATED -> graph.shape(node.output())[graph.shape(node.output()).length > 2 ? 2 : 0];
                    case TAIL -> runsTailNode(d, i) && !node.outputs().isEmpty() ? 1 : 0;
                };
                int halo = roles[i] == Role.SPLIT ? haloRows(i, d) : 0;
                long f = predicted.flops(d, i);
                long sent = predicted.bytesSent(d, i);
                long recv = predicted.bytesReceived(d, i);
                if (rows != 0 || f != 0 || sent != 0 || recv != 0) {
                    out.add(new LayerCost(i, node.name(), roles[i], d, rows, f, halo, sent, recv));
                }
            }
        }
        return out;
    }

    /** Per-layer summary: role, rows computed by each device, halo rows received. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("plan ").append(plan.toText()).append('\n');
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            sb.append(String.format("%-28s %-10s", node.name(), roles[i]));
            if (roles[i] == Role.SPLIT) {
                Split s = split.get(node.output());
                sb.append(s.sync ? " sync " : "      ");
                for (int d = 0; d < n; d++) {
                    sb.append(' ').append(s.comp[d]);
                }
            }
            if (head != null && head.contains(i)) {
                sb.append(head.stageOf(i) >= 0 ? " split head, columns" : " on the head's devices");
                for (int d = 0; d < n && head.stageOf(i) >= 0; d++) {
                    sb.append(' ').append(headColumns(i, d));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
