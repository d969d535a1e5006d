package io.coedge.partition;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.graph.Kernel;
import io.coedge.graph.KernelContext;
import io.coedge.graph.KernelProvider;
import io.coedge.graph.ModelException;
import io.coedge.graph.Node;
import io.coedge.graph.RowKernel;
import io.coedge.ops.Gemm;
import io.coedge.tensor.Layout;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one inference split by rows across the devices of a {@link Plan}. Each device holds only its
 * band of every split map plus the halo rows it receives (never a whole split map), runs the row
 * kernels of the split layers on that band, and gets halos through a {@link HaloExchange}; the tail
 * device also scatters the input and runs the tail on gathered values.
 *
 * <p>Kernels are prepared once, like {@link Executor}: from the first {@link KernelProvider} that
 * offers a {@link RowKernel} for a split node, else the reference kernel. The prepared kernels are
 * shared by all devices of one process.
 *
 * <p>Three ways to run: {@link #run(Arena, Tensor)} steps every device on the calling thread, phase by
 * phase (deterministic; the default for tests and the CLI); {@link #runThreaded} gives every device its
 * own thread; {@link #runDevice} runs one device's program, for a worker process whose neighbours are
 * elsewhere. All three count what they do in an {@link Accounting} that equals
 * {@link Geometry#predicted()}.
 *
 * <p>Memory: each device's buffers live in one block of {@link Geometry#reservedBytes(int)} bytes,
 * reserved on the device's first inference and reused by the next ones (buffer places are fixed at
 * plan time), so an inference allocates no feature-map memory. Hence an executor runs one inference at
 * a time on a given device.
 */
public final class PartitionedExecutor {
    /** The band of a map input whose rows a device's output rows do not read (they read only padding). */
    private static final MemorySegment NO_ROWS = Arena.global().allocate(64, 64).asSlice(0, 0);

    private final Geometry geometry;
    private final Graph graph;
    private final List<Node> nodes;
    private final Kernel[] kernels;
    private final String[] kernelSources;
    private final int preparedFor;
    /** One block per device, reserved on first use and reused by every inference. */
    private final MemorySegment[] memory;
    /** Per node, per device: the kernel of the device's columns of a split head layer ({@link Plan#headSplit()}); null elsewhere. */
    private final HeadKernel[][] headKernels;
    /** Each device's program with halo receives deferred behind interior rows (see {@link #overlapped}). */
    private final List<Step>[] schedules;
    /** Per device: its resolved program in {@link #schedule} order, and in plain phase order; made on first use. */
    private final DeviceProgram[] scheduledPrograms;
    private final DeviceProgram[] phasedPrograms;
    /** How long a device waits for a layer's halos to compute its band in one call ({@link #MERGE_WAIT_PROPERTY}). */
    private long mergeWaitNs = mergeProperty(MERGE_WAIT_PROPERTY, DEFAULT_MERGE_WAIT_US, 1000);
    /** Layers with fewer bytes of weights always go interior first ({@link #MERGE_MIN_WEIGHTS_PROPERTY}). */
    private long mergeMinWeightBytes = mergeProperty(MERGE_MIN_WEIGHTS_PROPERTY, DEFAULT_MERGE_MIN_WEIGHTS_KIB, 1024);

    /**
     * System property: microseconds a device waits, at the start of a layer whose halos it would otherwise take
     * after its interior rows ({@link #overlapped}), for those halos, so as to compute all its rows in one kernel
     * call; when they are not in by then, the interior goes first as scheduled. Default
     * {@value #DEFAULT_MERGE_WAIT_US}; negative: never wait (always interior first).
     *
     * <p>Why: a kernel call streams the layer's weights once. Interior first makes two calls, and the second,
     * one or two rows next to the boundary, streams the weights again for little work: on VGG-16's deep layers
     * (2-9 MB of weights, 14-56 pixels a row) that second pass costs 0.4-1 ms a layer, more than a halo takes to
     * cross when the neighbour is in step.
     */
    public static final String MERGE_WAIT_PROPERTY = "coedge.partition.mergeWaitUs";
    /**
     * System property: the least weight, in KiB, of a layer that {@link #MERGE_WAIT_PROPERTY} applies to; default
     * {@value #DEFAULT_MERGE_MIN_WEIGHTS_KIB} (weights that fit a core's L2 cost little to stream twice, and there
     * waiting would only give up the overlap).
     */
    public static final String MERGE_MIN_WEIGHTS_PROPERTY = "coedge.partition.mergeMinWeightKiB";
    static final long DEFAULT_MERGE_WAIT_US = 300;
    static final long DEFAULT_MERGE_MIN_WEIGHTS_KIB = 1024;

    public PartitionedExecutor(Graph graph, Plan plan, List<KernelProvider> providers) {
        this(Geometry.of(graph, plan), providers);
    }

    public PartitionedExecutor(Geometry geometry, List<KernelProvider> providers) {
        this(geometry, providers, -1);
    }

    /**
     * An executor that prepares only the kernels device {@code device} runs (a worker process: the
     * tail's weights, e.g. VGG-16's 411 MB of FC layers, stay off the devices that do not run it), or
     * every kernel when {@code device < 0}. Such an executor can only {@link #runDevice} that device.
     */
    public PartitionedExecutor(Geometry geometry, List<KernelProvider> providers, int device) {
        this.geometry = geometry;
        this.preparedFor = device;
        this.memory = new MemorySegment[geometry.plan().deviceCount()];
        @SuppressWarnings("unchecked")
        List<Step>[] sch = new List[geometry.plan().deviceCount()];
        this.schedules = sch;
        this.scheduledPrograms = new DeviceProgram[geometry.plan().deviceCount()];
        this.phasedPrograms = new DeviceProgram[geometry.plan().deviceCount()];
        this.graph = geometry.graph();
        this.nodes = graph.nodes();
        this.kernels = new Kernel[nodes.size()];
        this.kernelSources = new String[nodes.size()];
        this.headKernels = new HeadKernel[nodes.size()][];
        for (int i = 0; i < nodes.size(); i++) {
            Geometry.Role role = geometry.role(i);
            if (role == Geometry.Role.REDUCTION) {
                kernelSources[i] = "partial sums";
                continue;
            }
            if (geometry.isHeadNode(i)) {
                headKernels[i] = new HeadKernel[geometry.plan().deviceCount()];
                for (int d = 0; d < headKernels[i].length; d++) {
                    if ((device < 0 || device == d) && !geometry.headColumns(i, d).isEmpty()) {
                        headKernels[i][d] = headKernel(nodes.get(i), geometry.headColumns(i, d), providers);
                        kernelSources[i] = headKernels[i][d].source() + " (split by output neurons)";
                    }
                }
                if (kernelSources[i] == null) {
                    kernelSources[i] = "not on this device";
                }
                continue;
            }
            if (device >= 0 && role == Geometry.Role.TAIL && !geometry.runsTailNode(device, i)) {
                kernelSources[i] = "not on this device";
                continue;
            }
            Node node = nodes.get(i);
            KernelContext ctx = graph.kernelContext(node);
            Kernel k = null;
            for (KernelProvider p : providers) {
                Kernel pk = p.kernel(ctx);
                if (pk != null && (role != Geometry.Role.SPLIT || pk instanceof RowKernel)) {
                    k = pk;
                    kernelSources[i] = p.name();
                    break;
                }
            }
            if (k == null) {
                k = node.op().referenceKernel(ctx);
                kernelSources[i] = "reference";
                if (role == Geometry.Role.SPLIT && !(k instanceof RowKernel)) {
                    throw new IllegalStateException("node '" + node.name() + "' (" + node.op().type()
                            + ") has a row mapping but no kernel that computes row bands");
                }
            }
            kernels[i] = k;
        }
    }

    /** A device's columns of the split head: its kernel and the slices of the weight and bias it reads. */
    private record HeadKernel(Kernel kernel, Tensor weight, Tensor bias, String source) {
    }

    /**
     * A kernel for output columns {@code cols} of fully connected node {@code node}: the same operator on the
     * weight's rows (output neurons) {@code cols} and the bias's matching entries, from the first provider
     * that offers one. Each output is then the same dot product as in the whole layer: bit-identical.
     */
    private HeadKernel headKernel(Node node, RowRange cols, List<KernelProvider> providers) {
        Gemm op = (Gemm) node.op();
        Tensor b = graph.constant(node.input(1));
        int[] bs = b.shape();
        int k = op.transB() ? bs[1] : bs[0];
        int all = op.transB() ? bs[0] : bs[1];
        Arena arena = Arena.ofAuto();
        Tensor w;
        if (op.transB()) {
            // rows of [N, K]: one contiguous range, used in place
            w = Tensor.wrap(b.segment().asSlice((long) cols.start() * k * Float.BYTES, (long) cols.size() * k * Float.BYTES),
                    Layout.ROW_MAJOR, cols.size(), k);
        } else {
            w = Tensor.allocate(arena, Layout.ROW_MAJOR, k, cols.size());
            for (int p = 0; p < k; p++) {
                MemorySegment.copy(b.segment(), ((long) p * all + cols.start()) * Float.BYTES, w.segment(),
                        (long) p * cols.size() * Float.BYTES, (long) cols.size() * Float.BYTES);
            }
        }
        Tensor c = null;
        if (node.hasInput(2)) {
            Tensor full = graph.constant(node.input(2));
            if (full.size() == 1) {
                c = full;
            } else {
                int[] shape = full.shape().clone();
                shape[shape.length - 1] = cols.size();
                c = Tensor.wrap(full.segment().asSlice((long) cols.start() * Float.BYTES, (long) cols.size() * Float.BYTES),
                        Layout.ROW_MAJOR, shape);
            }
        }
        GraphBuilder gb = new GraphBuilder(node.name() + "[" + cols.start() + ":" + cols.end() + "]", arena);
        gb.input("a", 1, k);
        gb.constant("w", w);
        List<String> ins = new ArrayList<>(List.of("a", "w"));
        if (c != null) {
            gb.constant("c", c);
            ins.add("c");
        }
        gb.add(new Node(node.name(), op, ins, List.of("y")));
        Graph g = gb.output("y").build();
        KernelContext ctx = g.kernelContext(g.nodes().get(0));
        for (KernelProvider p : providers) {
            Kernel pk = p.kernel(ctx);
            if (pk != null) {
                return new HeadKernel(pk, w, c, p.name());
            }
        }
        return new HeadKernel(op.referenceKernel(ctx), w, c, "reference");
    }

    /** With the providers {@link Executor#create} would use (honours {@code coedge.kernels}). */
    public static PartitionedExecutor create(Graph graph, Plan plan) {
        return new PartitionedExecutor(graph, plan, Executor.providers(System.getProperty(Executor.KERNELS_PROPERTY, "")));
    }

    public Geometry geometry() {
        return geometry;
    }

    /** Which provider serves each node, by node name. */
    public Map<String, String> kernelSources() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            m.put(nodes.get(i).name(), kernelSources[i]);
        }
        return m;
    }

    /** Outputs of one partitioned inference and what each device did. */
    public record Result(Map<String, Tensor> outputs, Accounting counted) {
        /** The only output of a one-output graph. */
        public Tensor output() {
            if (outputs.size() != 1) {
                throw new IllegalStateException("the graph has " + outputs.size() + " outputs");
            }
            return outputs.values().iterator().next();
        }
    }

    /** Runs every device on this thread, phase by phase, with an in-process exchange. */
    public Result run(Arena arena, Tensor input) {
        try (InProcessHaloExchange ex = new InProcessHaloExchange(geometry.transfers(), 0)) {
            return run(arena, input, ex);
        }
    }

    /** Runs every device on this thread, phase by phase, through {@code exchange}. */
    public Result run(Arena arena, Tensor input, HaloExchange exchange) {
        requireAllDevices();
        int n = geometry.plan().deviceCount();
        Accounting counted = new Accounting(n, nodes.size());
        DeviceProgram[] programs = new DeviceProgram[n];
        for (int d = 0; d < n; d++) {
            programs[d] = program(d, false);
            programs[d].call.input = d == geometry.plan().tail() ? checkInput(input) : null;
            programs[d].call.exchange = exchange;
            programs[d].call.counted = counted;
        }
        int[] cursor = new int[n];
        try {
            for (int phase = 0; phase <= geometry.tailPhase(); phase++) {
                for (int d = 0; d < n; d++) {
                    DeviceProgram p = programs[d];
                    int end = cursor[d];
                    while (end < p.phases.length && p.phases[end] == phase) {
                        end++;
                    }
                    p.run(cursor[d], end);
                    cursor[d] = end;
                }
            }
            return new Result(programs[geometry.plan().tail()].results(arena), counted);
        } finally {
            for (DeviceProgram p : programs) {
                p.call.clear();
            }
        }
    }

    /** Runs each device on its own thread with an in-process exchange; a halo not sent in time fails the run. */
    public Result runThreaded(Arena arena, Tensor input, long timeoutNs) {
        return runThreaded(arena, input, timeoutNs, TimeUnit.SECONDS.toNanos(60));
    }

    /** As above; a device still running {@code timeoutNs + graceNs} after the start fails the run. */
    Result runThreaded(Arena arena, Tensor input, long timeoutNs, long graceNs) {
        requireAllDevices();
        try (InProcessHaloExchange ex = new InProcessHaloExchange(geometry.transfers(), timeoutNs);
             Arena shared = Arena.ofShared()) {
            int n = geometry.plan().deviceCount();
            Accounting counted = new Accounting(n, nodes.size());
            // the caller's tensors may be confined to the caller's thread
            Tensor in = Tensor.allocate(shared, checkInput(input).layout(), input.shape());
            in.copyFrom(input);
            java.util.concurrent.atomic.AtomicReference<Map<String, Tensor>> results = new java.util.concurrent.atomic.AtomicReference<>();
            Throwable[] failure = new Throwable[n];
            List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int d = 0; d < n; d++) {
                final int dev = d;
                Thread t = Thread.ofPlatform().name("coedge-device-" + geometry.plan().devices().get(d)).unstarted(() -> {
                    try {
                        boolean isTail = dev == geometry.plan().tail();
                        // the caller's arena may be confined to the caller: collect in a shared one, copy below
                        Map<String, Tensor> r = runProgram(dev, isTail ? in : null, ex, counted, Arena.ofAuto());
                        if (isTail) {
                            results.set(r);
                        }
                    } catch (Throwable e) {
                        failure[dev] = e;
                        // the others would wait for this device's halos until their timeout
                        threads.forEach(Thread::interrupt);
                    }
                });
                threads.add(t);
                t.start();
            }
            long joinDeadline = System.nanoTime() + timeoutNs + graceNs;
            for (Thread t : threads) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HaloExchangeException("interrupted while waiting for devices", e);
                }
            }
            List<String> stuck = new java.util.ArrayList<>();
            for (int d = 0; d < n; d++) {
                if (threads.get(d).isAlive()) {
                    stuck.add(geometry.plan().devices().get(d));
                }
            }
            if (!stuck.isEmpty()) {
                // a kernel that never returns cannot be stopped; say so rather than read results that are not there
                threads.forEach(Thread::interrupt);
                synchronized (scheduledPrograms) {
                    // the stuck threads still hold these programs: the next run gets its own
                    for (int d = 0; d < n; d++) {
                        if (threads.get(d).isAlive()) {
                            scheduledPrograms[d] = null;
                        }
                    }
                }
                throw new HaloExchangeException("device(s) " + stuck + " did not finish within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNs + graceNs) + " ms; their threads were interrupted");
            }
            for (int d = 0; d < n; d++) {
                if (failure[d] != null && !(failure[d] instanceof HaloExchangeException)) {
                    throw failure[d] instanceof RuntimeException re ? re
                            : new IllegalStateException("device " + d + " failed", failure[d]);
                }
            }
            for (int d = 0; d < n; d++) {
                if (failure[d] instanceof RuntimeException re) {
                    throw re;
                }
                if (failure[d] != null) {
                    throw new IllegalStateException("device " + d + " failed", failure[d]);
                }
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            results.get().forEach((k, v) -> {
                Tensor copy = Tensor.allocate(arena, v.layout(), v.shape());
                copy.copyFrom(v);
                out.put(k, copy);
            });
            return new Result(out, counted);
        }
    }

    /**
     * Runs device {@code device}'s program alone, exchanging with the others through
     * {@code exchange}: what a worker process does for one inference.
     *
     * @param input     the input map on the tail device (the initiator), null elsewhere
     * @param counted   where to count FLOPs, bytes and memory (may be shared by devices of one process)
     * @param arena     where the tail device's outputs are copied
     * @return the graph outputs on the tail device, an empty map elsewhere
     */
    public Map<String, Tensor> runDevice(int device, Tensor input, HaloExchange exchange, Accounting counted, Arena arena) {
        if (preparedFor >= 0 && preparedFor != device) {
            throw new IllegalStateException("this executor prepared the kernels of device " + preparedFor + ", not " + device);
        }
        return runProgram(device, device == geometry.plan().tail() ? checkInput(input) : null, exchange, counted, arena);
    }

    /** A fresh accounting of the right size for {@link #runDevice}. */
    public Accounting newAccounting() {
        return new Accounting(geometry.plan().deviceCount(), nodes.size());
    }

    /**
     * Sets how long {@link #runDevice} (and {@link #runThreaded}) wait at the start of a layer for its halos so as to
     * compute the band in one call ({@link #MERGE_WAIT_PROPERTY}); negative: never. Set it before the first
     * inference.
     */
    public PartitionedExecutor mergeWaitNs(long ns) {
        this.mergeWaitNs = ns < 0 ? -1 : ns;
        return this;
    }

    /** Sets the least weight, in bytes, of a layer that {@link #mergeWaitNs} applies to. Set it before the first inference. */
    public PartitionedExecutor mergeMinWeightBytes(long bytes) {
        this.mergeMinWeightBytes = Math.max(0, bytes);
        return this;
    }

    /** The property {@code name} as a whole number times {@code scale}; {@code byDefault} when unset; -1 when negative. */
    private static long mergeProperty(String name, long byDefault, long scale) {
        String v = System.getProperty(name, "").trim();
        long n;
        try {
            n = v.isEmpty() ? byDefault : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a whole number, got '" + v + "'");
        }
        return n < 0 ? -1 : Math.multiplyExact(n, scale);
    }

    /** Whether the layer of {@code whole} has weights enough for one call to pay ({@link #MERGE_MIN_WEIGHTS_PROPERTY}). */
    private boolean worthMerging(Step.Compute whole) {
        return graph.constantBytes(nodes.get(whole.node())) >= mergeMinWeightBytes;
    }

    /**
     * A layer {@link #overlapped} split: at the interior compute step, the whole band's compute, and how many
     * receive steps and boundary compute steps follow the interior one in the schedule.
     */
    record Deferred(Step.Compute whole, int receives, int boundaries) {
    }

    /** The {@link Deferred} of each interior compute step of {@code schedule}, null elsewhere. */
    static Deferred[] deferred(List<Step> schedule) {
        Deferred[] out = new Deferred[schedule.size()];
        for (int i = 0; i + 1 < schedule.size(); i++) {
            if (!(schedule.get(i) instanceof Step.Compute c) || !(schedule.get(i + 1) instanceof Step.Receive first)
                    || first.t().kind() != Transfer.Kind.HALO) {
                continue;
            }
            int j = i + 1;
            while (j < schedule.size() && schedule.get(j) instanceof Step.Receive r && r.t().kind() == Transfer.Kind.HALO
                    && r.key().equals(first.key())) {
                j++;
            }
            int start = c.rows().start();
            int end = c.rows().end();
            int k = j;
            // the boundary rows right before and/or right after the interior, as overlapped() writes them
            while (k < schedule.size() && k - j < 2 && schedule.get(k) instanceof Step.Compute b && b.node() == c.node()
                    && b.phase() == c.phase() && (b.rows().end() == start || b.rows().start() == end)) {
                start = Math.min(start, b.rows().start());
                end = Math.max(end, b.rows().end());
                k++;
            }
            if (k > j) {
                out[i] = new Deferred(new Step.Compute(c.phase(), c.node(), new RowRange(start, end)), j - i - 1, k - j);
            }
        }
        return out;
    }

    private Map<String, Tensor> runProgram(int d, Tensor input, HaloExchange exchange, Accounting counted, Arena arena) {
        DeviceProgram p = program(d, true);
        p.call.input = input;
        p.call.exchange = exchange;
        p.call.counted = counted;
        try {
            p.run(0, p.ops.length);
            return d == geometry.plan().tail() ? p.results(arena) : Map.of();
        } finally {
            p.call.clear();
        }
    }

    /**
     * Device {@code d}'s resolved program, made on first use: the order {@link #runDevice} runs
     * ({@link #schedule}) when {@code scheduled}, else the plain program {@link #run} steps phase by phase.
     */
    private DeviceProgram program(int d, boolean scheduled) {
        DeviceProgram[] cache = scheduled ? scheduledPrograms : phasedPrograms;
        synchronized (cache) {
            if (cache[d] == null) {
                cache[d] = new DeviceProgram(d, scheduled ? schedule(d) : geometry.program(d), scheduled);
            }
            return cache[d];
        }
    }

    /** Device {@code d}'s program as {@link #runDevice} runs it: {@link #overlapped}, made once. */
    List<Step> schedule(int d) {
        synchronized (schedules) {
            if (schedules[d] == null) {
                schedules[d] = overlapped(geometry.program(d));
            }
            return schedules[d];
        }
    }

    /**
     * The program with each halo wait moved behind the work that does not need it: where a device receives
     * halo rows of a map and then computes a windowed layer on that map, it first computes the output rows
     * that read only its own rows, then waits for the halos, then computes the rows next to the boundary.
     * A neighbour's halo then has the time of a whole layer's interior to arrive instead of none, so a
     * little jitter between devices or a slow hop does not stall the device. Same transfers, same FLOPs
     * (band FLOPs add up exactly), same buffers; only the order within a phase changes. At run time a layer
     * with heavy weights may still be computed in one call, when its halos come within
     * {@link #MERGE_WAIT_PROPERTY}'s wait ({@link #deferred}).
     */
    List<Step> overlapped(List<Step> program) {
        List<Step> out = new ArrayList<>(program.size() + 8);
        int i = 0;
        while (i < program.size()) {
            Step s = program.get(i);
            if (!(s instanceof Step.Receive first) || first.t().kind() != Transfer.Kind.HALO) {
                out.add(s);
                i++;
                continue;
            }
            int j = i;
            List<Step.Receive> receives = new ArrayList<>();
            while (j < program.size() && program.get(j) instanceof Step.Receive r && r.t().kind() == Transfer.Kind.HALO
                    && r.key().equals(first.key())) {
                receives.add(r);
                j++;
            }
            List<Step> allocs = new ArrayList<>();
            while (j < program.size() && program.get(j) instanceof Step.Alloc a) {
                allocs.add(a);
                j++;
            }
            RowRange[] parts = j < program.size() && program.get(j) instanceof Step.Compute c
                    ? interiorFirst(c, first.key(), receives) : null;
            if (parts == null) {
                out.add(s);
                i++;
                continue;
            }
            Step.Compute c = (Step.Compute) program.get(j);
            out.addAll(allocs);
            out.add(new Step.Compute(c.phase(), c.node(), parts[1]));
            out.addAll(receives);
            if (!parts[0].isEmpty()) {
                out.add(new Step.Compute(c.phase(), c.node(), parts[0]));
            }
            if (!parts[2].isEmpty()) {
                out.add(new Step.Compute(c.phase(), c.node(), parts[2]));
            }
            i = j + 1;
        }
        return List.copyOf(out);
    }

    /**
     * Splits the rows of {@code c} into {before, interior, after}: interior reads no row that {@code receives}
     * bring into buffer {@code key}. Null when there is nothing to gain or the layer does not fit the pattern
     * (not windowed, more than one split map input, or no interior rows).
     */
    private RowRange[] interiorFirst(Step.Compute c, String key, List<Step.Receive> receives) {
        Node node = nodes.get(c.node());
        RowMapping mapping = geometry.mapping(c.node());
        if (mapping == null || !mapping.windowed() || !key.startsWith("b:") || !(kernels[c.node()] instanceof RowKernel)) {
            return null;
        }
        int input = -1;
        for (int j = 0; j < node.inputs().size(); j++) {
            if (!node.hasInput(j) || graph.isConstant(node.input(j)) || !geometry.isSplit(node.input(j))) {
                continue;
            }
            if (input >= 0 || !key.equals("b:" + node.input(j))) {
                return null;
            }
            input = j;
        }
        if (input < 0) {
            return null;
        }
        int height = graph.shape(node.input(input))[2];
        RowRange rows = c.rows();
        int a = -1;
        int b = -1;
        for (int y = rows.start(); y < rows.end(); y++) {
            RowRange in = mapping.inputRows(input, y, y + 1).clip(height);
            boolean boundary = false;
            for (Step.Receive r : receives) {
                if (!in.intersect(r.t().rows()).isEmpty()) {
                    boundary = true;
                    break;
                }
            }
            if (!boundary) {
                if (a < 0) {
                    a = y;
                } else if (b != y) {
                    return null; // interior rows not contiguous: keep the plain order
                }
                b = y + 1;
            }
        }
        if (a < 0 || (a == rows.start() && b == rows.end())) {
            return null;
        }
        return new RowRange[] {new RowRange(rows.start(), a), new RowRange(a, b), new RowRange(b, rows.end())};
    }

    private void requireAllDevices() {
        if (preparedFor >= 0) {
            throw new IllegalStateException("this executor prepared only device " + preparedFor + "'s kernels; use runDevice");
        }
    }

    private Tensor checkInput(Tensor input) {
        Graph.Input in = graph.inputs().get(0);
        if (input == null) {
            throw new ModelException("missing input '" + in.name() + "' of shape " + Shapes.format(in.shape()));
        }
        if (!input.hasShape(in.shape())) {
            throw new ModelException("input '" + in.name() + "' has shape " + Shapes.format(input.shape())
                    + ", the model expects " + Shapes.format(in.shape()));
        }
        return input;
    }


    /** A buffer a device holds: a tensor whose row 0 is map row {@code row0}. */
    private record Buffer(Tensor tensor, int row0) {
        long rowBytes() {
            return tensor.rank() == 4 ? tensor.rowBytes() : 0;
        }
    }

    /** What changes from one inference of a device's program to the next. */
    private static final class Call {
        Tensor input;
        HaloExchange exchange;
        Accounting counted;

        /** After the run: the caller's objects are not ours to keep alive. */
        void clear() {
            input = null;
            exchange = null;
            counted = null;
        }
    }

    /** One step of a {@link DeviceProgram}, its buffers and arguments already resolved. */
    @FunctionalInterface
    private interface Op {
        void run(Call call);
    }

    /**
     * One device's program with every buffer, slice and kernel argument resolved once, on the device's
     * memory block (buffer places are fixed at plan time): running it looks nothing up by name and allocates
     * nothing, so a worker's inferences leave no garbage behind. Built on the device's first inference.
     */
    private final class DeviceProgram {
        private final int id;
        private final Op[] ops;
        private final int[] phases;
        private final Call call = new Call();
        /** The graph outputs, where the tail device holds them when its program ends; empty elsewhere. */
        private final String[] outputNames;
        private final Tensor[] outputs;
        private final Map<String, Buffer> buffers = new HashMap<>();

        DeviceProgram(int id, List<Step> steps, boolean scheduled) {
            this.id = id;
            this.ops = new Op[steps.size()];
            this.phases = new int[steps.size()];
            Deferred[] deferred = scheduled && mergeWaitNs >= 0 ? deferred(steps) : new Deferred[steps.size()];
            List<Runnable> wrapLater = new ArrayList<>();
            for (int i = 0; i < ops.length; i++) {
                Step s = steps.get(i);
                phases[i] = s.phase();
                ops[i] = prepare(s);
                if (deferred[i] != null && worthMerging(deferred[i].whole())) {
                    ops[i] = mergeable(steps, i, deferred[i], ops[i], wrapLater);
                }
            }
            wrapLater.forEach(Runnable::run);
            if (id == geometry.plan().tail()) {
                outputNames = graph.outputs().toArray(String[]::new);
                outputs = new Tensor[outputNames.length];
                for (int j = 0; j < outputNames.length; j++) {
                    outputs[j] = buffer(geometry.resultKey(outputNames[j])).tensor();
                }
            } else {
                outputNames = new String[0];
                outputs = new Tensor[0];
            }
            buffers.clear();
        }

        /** Runs steps {@code [from, to)}; the caller set {@link #call}. */
        void run(int from, int to) {
            for (int i = from; i < to; i++) {
                ops[i].run(call);
            }
        }

        private Op prepare(Step step) {
            return switch (step) {
                case Step.Alloc a -> alloc(a);
                case Step.Free f -> {
                    long bytes = buffer(f.key()).tensor().byteSize();
                    buffers.remove(f.key());
                    yield c -> c.counted.free(id, bytes);
                }
                case Step.Compute c -> compute(c);
                case Step.Send s -> transfer(s.t(), s.key(), s.offset(), true);
                case Step.Receive r -> transfer(r.t(), r.key(), r.offset(), false);
                case Step.Copy cp -> {
                    Buffer from = buffer(cp.from());
                    Buffer to = buffer(cp.to());
                    long rb = from.rowBytes();
                    MemorySegment src = from.tensor().segment();
                    MemorySegment dst = to.tensor().segment();
                    long srcOffset = (cp.rows().start() - from.row0()) * rb;
                    long dstOffset = (cp.rows().start() - to.row0()) * rb;
                    long bytes = cp.rows().size() * rb;
                    yield c -> MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
                }
                case Step.PartialSum p -> partialSum(p);
                case Step.FinishReduction f -> finishReduction(f);
                case Step.RunTail r -> runTail(r);
                case Step.HeadSlice h -> headSlice(h);
            };
        }

        /** Sends or receives transfer {@code t} through the rows of buffer {@code key} from byte {@code offset}. */
        private Op transfer(Transfer t, String key, long offset, boolean sending) {
            MemorySegment rows = buffer(key).tensor().segment().asSlice(offset, t.bytes());
            if (sending) {
                return c -> {
                    c.exchange.send(t, rows);
                    c.counted.addTransfer(t, true);
                };
            }
            return c -> {
                c.exchange.receive(t, rows);
                c.counted.addTransfer(t, false);
            };
        }

        private Buffer buffer(String key) {
            Buffer b = buffers.get(key);
            if (b == null) {
                throw new IllegalStateException("device " + id + " has no buffer " + key);
            }
            return b;
        }

        private Op alloc(Step.Alloc a) {
            MemorySegment seg = block().asSlice(geometry.offset(id, a.key()), a.bytes());
            Tensor t = Tensor.wrap(seg, Tensor.defaultLayout(a.shape()), a.shape());
            buffers.put(a.key(), new Buffer(t, a.row0()));
            long bytes = t.byteSize();
            boolean input = a.key().startsWith("i:");
            return c -> {
                // kernels may accumulate into their output and partial sums of row-less devices must add 0
                seg.fill((byte) 0);
                if (input) {
                    if (c.input.layout() == t.layout()) {
                        t.copyFrom(c.input);
                    } else {
                        try (Arena tmp = Arena.ofConfined()) {
                            t.copyFrom(c.input.toLayout(tmp, t.layout()));
                        }
                    }
                }
                c.counted.allocate(id, bytes);
            };
        }

        private Op compute(Step.Compute c) {
            int nodeIndex = c.node();
            Node node = nodes.get(nodeIndex);
            Tensor[] ins = new Tensor[node.inputs().size()];
            int[] row0 = new int[ins.length];
            for (int j = 0; j < ins.length; j++) {
                if (!node.hasInput(j)) {
                    continue;
                }
                String v = node.input(j);
                if (graph.isConstant(v)) {
                    ins[j] = graph.constant(v);
                } else if (!geometry.isSplit(v)) {
                    ins[j] = buffer("t:" + v).tensor(); // a broadcast value every device holds whole
                } else {
                    Buffer b = buffers.get("b:" + v);
                    if (b == null) {
                        // these output rows read only padding: no input row at all
                        int[] shape = graph.shape(v);
                        ins[j] = Tensor.wrap(NO_ROWS, Layout.NHWC, 1, shape[1], 0, shape[3]);
                    } else {
                        ins[j] = b.tensor();
                        row0[j] = b.row0();
                    }
                }
            }
            Buffer out = buffer("b:" + node.output());
            Tensor outTensor = out.tensor();
            int outRow0 = out.row0();
            int start = c.rows().start();
            int end = c.rows().end();
            RowKernel kernel = (RowKernel) kernels[nodeIndex];
            long flops = geometry.bandFlops(nodeIndex, c.rows());
            return call -> {
                long t0 = System.nanoTime();
                kernel.runRows(ins, row0, outTensor, outRow0, start, end);
                call.counted.addComputeNs(id, nodeIndex, System.nanoTime() - t0);
                call.counted.addFlops(id, nodeIndex, flops);
            };
        }

        /**
         * Step {@code i}, the interior compute of a layer {@link #overlapped} split, as an op that first tries the
         * layer's halos for up to {@link #mergeWaitNs}: when they are all in, it computes the whole band in one call
         * (one pass over the layer's weights, which the boundary rows would otherwise stream again) and the layer's
         * receive and boundary steps do nothing; otherwise the interior goes first as scheduled and the receive steps
         * take the halos that did not come. Prepared where step {@code i} is, so that it sees the same buffers; the
         * later steps are wrapped by what it adds to {@code wrapLater}, run once they are prepared.
         */
        private Op mergeable(List<Step> steps, int i, Deferred d, Op interior, List<Runnable> wrapLater) {
            Op whole = compute(d.whole());
            Transfer[] ts = new Transfer[d.receives()];
            MemorySegment[] dst = new MemorySegment[d.receives()];
            boolean[] got = new boolean[d.receives()];
            boolean[] merged = new boolean[1];
            for (int k = 0; k < ts.length; k++) {
                Step.Receive r = (Step.Receive) steps.get(i + 1 + k);
                ts[k] = r.t();
                dst[k] = buffer(r.key()).tensor().segment().asSlice(r.offset(), r.t().bytes());
            }
            wrapLater.add(() -> {
                for (int k = 0; k < ts.length; k++) {
                    Op receive = ops[i + 1 + k];
                    int kk = k;
                    ops[i + 1 + k] = c -> {
                        if (!got[kk]) {
                            receive.run(c);
                        }
                    };
                }
                for (int k = 0; k < d.boundaries(); k++) {
                    Op boundary = ops[i + 1 + ts.length + k];
                    ops[i + 1 + ts.length + k] = c -> {
                        if (!merged[0]) {
                            boundary.run(c);
                        }
                    };
                }
            });
            long waitNs = mergeWaitNs;
            return c -> {
                long deadline = System.nanoTime() + waitNs;
                boolean all = true;
                for (int k = 0; k < ts.length; k++) {
                    got[k] = all && c.exchange.tryReceive(ts[k], dst[k], Math.max(0, deadline - System.nanoTime()));
                    if (got[k]) {
                        c.counted.addTransfer(ts[k], false);
                    } else {
                        all = false;
                    }
                }
                merged[0] = all;
                (all ? whole : interior).run(c);
            };
        }

        private Op partialSum(Step.PartialSum p) {
            Buffer in = buffer("b:" + nodes.get(p.node()).input(0));
            Tensor x = in.tensor();
            int ch = x.dim(1);
            int w = x.dim(3);
            double[] acc = new double[ch];
            Tensor sums = buffer("p:" + p.node()).tensor();
            int first = p.rows().start();
            int last = p.rows().end();
            int row0 = in.row0();
            long slotBase = (long) p.slot() * ch;
            int nodeIndex = p.node();
            long flops = geometry.partialSumFlops(p.node(), p.rows().size());
            return c -> {
                Arrays.fill(acc, 0);
                for (int y = first; y < last; y++) {
                    long base = (long) (y - row0) * w * ch;
                    for (int i = 0; i < w * ch; i++) {
                        acc[i % ch] += x.get(base + i);
                    }
                }
                for (int k = 0; k < ch; k++) {
                    sums.set(slotBase + k, (float) acc[k]);
                }
                c.counted.addFlops(id, nodeIndex, flops);
            };
        }

        private Op finishReduction(Step.FinishReduction f) {
            Node node = nodes.get(f.node());
            int[] in = graph.shape(node.input(0));
            Tensor sums = buffer("p:" + f.node()).tensor();
            Tensor out = buffer("t:" + node.output()).tensor();
            int ch = in[1];
            double area = (double) in[2] * in[3];
            int slots = f.slots();
            return c -> {
                for (int k = 0; k < ch; k++) {
                    double s = 0;
                    for (int slot = 0; slot < slots; slot++) {
                        s += sums.get((long) slot * ch + k);
                    }
                    out.set(out.offset4(0, k, 0, 0), (float) (s / area));
                }
            };
        }

        private Op runTail(Step.RunTail r) {
            int nodeIndex = r.node();
            Node node = nodes.get(nodeIndex);
            Tensor[] ins = new Tensor[node.inputs().size()];
            for (int j = 0; j < ins.length; j++) {
                if (node.hasInput(j)) {
                    String v = node.input(j);
                    ins[j] = graph.isConstant(v) ? graph.constant(v) : buffer(geometry.tailKey(v)).tensor();
                }
            }
            Tensor[] outs = new Tensor[node.outputs().size()];
            for (int j = 0; j < outs.length; j++) {
                String o = node.outputs().get(j);
                if (!o.isEmpty()) {
                    outs[j] = buffer("t:" + o).tensor();
                }
            }
            return timed(kernels[nodeIndex], ins, outs, nodeIndex, graph.flops(node));
        }

        private Op headSlice(Step.HeadSlice h) {
            int nodeIndex = h.node();
            Node node = nodes.get(nodeIndex);
            HeadKernel hk = headKernels[nodeIndex] == null ? null : headKernels[nodeIndex][id];
            if (hk == null) {
                throw new IllegalStateException("device " + id + " has no kernel for its columns of " + node.name());
            }
            Tensor a = buffer(geometry.tailKey(node.input(0))).tensor();
            int cols = h.columns().size();
            Tensor y = Tensor.wrap(buffer(h.key()).tensor().segment().asSlice(h.offset(), (long) cols * Float.BYTES),
                    Layout.ROW_MAJOR, 1, cols);
            Tensor[] ins = hk.bias() == null ? new Tensor[] {a, hk.weight()} : new Tensor[] {a, hk.weight(), hk.bias()};
            Tensor[] outs = {y};
            return timed(hk.kernel(), ins, outs, nodeIndex, geometry.headSliceFlops(nodeIndex, id));
        }

        /** {@code kernel} on {@code ins} and {@code outs}, its time and FLOPs counted for node {@code nodeIndex}. */
        private Op timed(Kernel kernel, Tensor[] ins, Tensor[] outs, int nodeIndex, long flops) {
            return c -> {
                long t0 = System.nanoTime();
                kernel.run(ins, outs);
                c.counted.addComputeNs(id, nodeIndex, System.nanoTime() - t0);
                c.counted.addFlops(id, nodeIndex, flops);
            };
        }

        /** Copies of the graph outputs into {@code arena}; on the tail device only, after its program ran. */
        Map<String, Tensor> results(Arena arena) {
            if (outputs.length == 1) {
                return Map.of(outputNames[0], copy(outputs[0], arena));
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (int j = 0; j < outputs.length; j++) {
                out.put(outputNames[j], copy(outputs[j], arena));
            }
            return out;
        }

        private static Tensor copy(Tensor t, Arena arena) {
            Tensor copy = Tensor.allocate(arena, t.layout(), t.shape());
            copy.copyFrom(t);
            return copy;
        }

        private MemorySegment block() {
            synchronized (memory) {
                if (memory[id] == null) {
                    memory[id] = Arena.ofAuto().allocate(Math.max(1, geometry.reservedBytes(id)), 64);
                }
                return memory[id];
            }
        }
    }
}
