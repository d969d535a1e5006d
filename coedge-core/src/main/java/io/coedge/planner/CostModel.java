package io.coedge.planner;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.PlanTransfers;
import io.coedge.partition.Sync;
import io.coedge.partition.Transfer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CoEdge cost model for one model on one cluster: predicted compute, transfer and idle time per
 * stage and device, total latency and energy of a row split.
 *
 * <p><b>Stages.</b> Devices synchronise where a layer needs a halo; layers that need none (1x1 convs,
 * non-overlapping pools, activations) run straight on from the previous layer's band. A stage is a
 * halo-needing layer with the halo-free layers after it. For device {@code i} owning {@code a_i} rows of
 * the {@code H}-row input map:
 * <ul>
 * <li>{@code t_cp(i, s) = a_i / H * sum_{l in s} flops_l / f_i(type_l)} (rows split in one proportion), of
 *     which {@code cpRest} is the part after the stage's first layer;</li>
 * <li>{@code t_tx(i, s) = haloBytes_s / 2 * max_{x in {i} + N(i)} k_x / b_x} when at least two
 *     devices own rows and {@code a_i > 0}, else 0, where {@code N(i)} are the device's neighbours: the
 *     nearest devices before and after it in the device order that own rows (bands follow the device
 *     order), and {@code k_x = |N(x)|} is 1 for the first and last device that own rows and 2 in between.
 *     Each link is capped in both directions and a stage's halos travel at the same time: device i's
 *     {@code k_i} sides come in over its own link, and the side from neighbour {@code j} leaves over
 *     {@code j}'s link together with {@code j}'s other side. The halos are in when the busiest of those
 *     links has carried its sides. With two devices this is the pair's bandwidth {@code min(b_i, b_j)};
 *     a fast device between two slow ones waits for them, and an edge device next to a middle one waits
 *     for that one's link to carry both of its sides. A sender does not wait for its sends (they go into a
 *     window of the transport);</li>
 * <li>{@code x_i = latency_i}, the measured fixed cost of a stage's halo exchange on the device's link (a round
 *     of send, driver hops and wake-up), not the wire's latency alone. It is the device's own time, spent on its
 *     compute thread (sending its boundary rows, taking the halos in, resuming after the wait, on a CPU quota at
 *     its next scheduling slot), so it does not hide behind the interior rows. A device between two neighbours
 *     pays it once, like one at an edge: it waits for both halos at once and resumes once. (Charged per
 *     neighbour, the testbed's four-device VGG-16 plans came out 14-42 % over their measured latency, the
 *     three-device ones within 15 % either way.) A stage's reported transfer time, charged at transmit power, is
 *     {@code x_i + t_tx(i, s)} for a device with {@code k_i >= 1};</li>
 * <li>{@code t_b(i, s)}: computing the first layer's output rows next to the {@code k_i} boundaries (about
 *     one per halo row).</li>
 * </ul>
 * The runtime sends halo rows as soon as their producer has computed them, computes a layer's interior
 * rows while the halos travel and the boundary rows after they arrive, so
 * {@code T_s = max_i (x_i + max(t_cp(i, s), cpRest(i, s) - hide(i, s) + t_tx(i, s) + t_b(i, s)))} for
 * a device that exchanges halos ({@code t_cp(i, s)} for one that does not): a halo's bytes cost time
 * only where it takes longer than the interior and the layers run between its producer and the stage
 * ({@code hide(i, s)}, in proportion to {@code a_i} like {@code t_cp}; see
 * {@link LayerCostTable.Layer#layersSinceInput()}: 0 in a plain chain, in GoogLeNet's inception blocks the
 * other branches' layers run between a branch's 1x1 and its 3x3 conv). A halo sent while an earlier-sent one is
 * still due at a later stage queues behind it on the same links (in GoogLeNet a 3x3 branch's halo behind the
 * max-pool branch's, sent with the inception block's input): its halo-bound term is then also at least
 * {@code cpRest(i, s) - hide(i, s) - between(i, s) + t_tx(i, s) + t_tx(queued) + t_b(i, s)}, {@code between}
 * being the layers run between the two sends.
 *
 * <p><b>Latency</b> {@code T = sum_s T_s + max_i (scatter_i + gather_i) + tail}: the initiator sends each
 * other device its input rows and later receives its last maps over the pair link (smaller bandwidth,
 * larger latency); every device has a link of its own, so these transfers run at the same time and the
 * slowest one counts. Each other device that takes part adds its link's fixed per-request cost
 * ({@link LinkProfile#requestSeconds()}) to its scatter. The initiator's own per-request cost is what each worker
 * beyond the first adds to its time, {@code w_0 (k - 1)} for {@code k} workers taking part: it sends their requests and
 * bands and takes their results in one after another, on its own CPU (the first worker's share is in that worker's
 * figures, as a split between the initiator and one worker measures them); charged with the scatter. A link with a
 * burst ({@link LinkProfile#burstBytes()}, a token bucket) carries the first {@code burst} bytes of a scatter and of
 * a gather at line speed: the link sat idle through the layers since the last one and its bucket is full, so each is
 * charged {@code max(0, bytes - burst) / bandwidth}, a convex piecewise-linear term in {@code a_i}. The initiator
 * then runs the tail alone. (A shared medium, where the initiator's link carries all scatters one after the other, is
 * not modelled: give the devices the share of that medium they get.)
 *
 * <p><b>Plans' own halos and compute.</b> The terms above charge every stage the even split's halo rows, and every
 * layer in the input rows' proportion. A model built from the graph ({@link #CostModel(Graph, DeviceProfiles.Cluster)})
 * charges an integer split, in {@link #predict(int[])}, what its partition geometry sends and computes instead: per
 * stage and device the bytes it receives and the neighbours it receives them from (a side that sends nothing costs
 * no exchange), each at the busiest of the links they cross; the input's halo travels with the scatter; the stages
 * together last at least as long as the busiest link needs to carry all the plan's halos at its bandwidth; and each
 * layer costs a device the FLOPs of the rows it computes there ({@link PlanCompute}), which on maps of a few rows
 * differ from its input share by up to a row per boundary.
 *
 * <p><b>Energy</b> {@code E = sum over taking-part devices of P_idle * T + (P_cp - P_idle) * compute
 * + (P_tx - P_idle) * transfer}, which equals the design's
 * {@code sum_i sum_s P_cp t_cp + P_tx t_tx + P_idle (T_s - t_cp - t_tx)} plus idle power through
 * scatter, gather and tail (receiving a halo while computing is charged as both: the radio and the CPU are
 * busy at once). Scatter and gather charge transmit power on both ends; the tail charges
 * compute power on the initiator. A device with no rows does not take part and costs nothing; the
 * initiator always takes part.
 *
 * <p><b>Memory</b> of device {@code i}: weights of the row-split layers when it owns rows, plus
 * {@code activationBytesPerRow * a_i} plus the largest halo; the initiator also holds the input, the
 * gathered map and the tail's weights.
 *
 * <p>Given which devices own rows, every term is linear in {@code a_i} or a maximum of linear terms, which
 * is what lets {@link Planner} state the problem as a MILP (one epigraph variable per maximum).
 */
public final class CostModel {
    private final LayerCostTable table;
    private final DeviceProfiles.Cluster cluster;
    private final List<DeviceProfile> devices;
    private final int n;
    private final int init;
    private final int h;
    private final String[] stageNames;
    final double[][] cp;        // [stage][device] seconds per input row
    final double[][] cpRest;    // [stage][device] seconds per input row of the layers after the stage's first
    final double[][] hide;      // [stage][device] seconds per input row run between the halo's send and the stage
    final double[][] cpLate;    // [stage][device] cpRest - hide: the row term of the halo-bound stage time
    final double[][] hxLat;     // [stage][device] the fixed per-exchange cost of a halo exchange
    final double[] halfHaloBytes; // [stage] one side's halo bytes
    final double[] queuedHalfBytes; // [stage] one side's bytes of the earlier-sent halos it may queue behind
    final double[][] cpQueue;   // [stage][device] cpLate less the compute since the first of those was sent
    final boolean[] queues;     // [stage] it may queue behind another stage's halo
    final int[][] queuedStages; // [stage] the earlier-sent stages' halos it may queue behind
    final double[] inv;         // [device] seconds per halo byte of the device's link, 1 / b_i
    final double refPace;       // the slowest pace a device's halos can have: 2 / min_i b_i (both sides, slowest link)
    final double[] hxSideRef;   // [stage] one side's halo bytes at refPace
    final double[][] cbSide;    // [stage][device] seconds of the first layer's rows next to one boundary
    private final int[] stageFirst; // [stage] the table index of its first layer
    private final int[] stageEnd;   // [stage] one past its last layer
    private final int[] stageSendAt; // [stage] the table index where its halo is sent (its producer's next layer)
    private final int[] queueFrom;  // [stage] where the first of the halos it may queue behind was sent
    final double[] stageHaloBytes;
    final double[] sgRow;       // scatter+gather seconds per row at the link's pace, 0 for the initiator
    final double[] scRow;       // the scatter's part of sgRow
    final double[] gaRow;       // the gather's part of sgRow
    final double[] credit;      // seconds of pacing the link's burst saves a scatter and a gather each
    final double[] sgLat;       // scatter+gather fixed seconds (with the request cost), 0 for the initiator
    final double[] request;     // the fixed per-request part of sgLat
    final double extraWorker;   // the initiator's seconds per worker taking part beyond the first
    private final double[][] secondsPerFlop; // [device][table layer] 1 / the device's rate for the layer's type
    final double tail;
    final double[] idleW, dcpW, dtxW;
    final double[] memRow, memFixedWhenRows, memHalo, memBudget;
    /** The graph the table comes from, for plans' exact halo bytes; null for a bare table. */
    private final Graph graph;
    private final Map<String, Integer> haloStage; // graph value -> the stage whose first layer fetches its halo
    private final Map<List<Integer>, StageHalos> halosByRows = new ConcurrentHashMap<>();
    /** What a plan check reads the halos from; null until the first check. */
    private volatile HaloSource haloSource;

    /**
     * The transfers of this model's plans, each device's bands kept by its rows, and the stage that receives the
     * halos of each node's output ({@link #haloStage} by node index, -1 for none).
     */
    private record HaloSource(PlanTransfers transfers, int[] stageOfNode, boolean[] splitLayer) {
    }

    /** Whether the partition geometry takes the graph (one batch-1 input map); else the even split's halos are kept. */
    private static boolean splitsByGeometry(Graph graph) {
        return graph.inputs().size() == 1 && graph.inputs().get(0).shape().length == 4
                && graph.inputs().get(0).shape()[0] == 1;
    }

    /**
     * The planning model of a bare table: every stage's halo is the even split's ({@link LayerCostTable.Layer#haloRows()}
     * per middle device), whatever a plan's rows.
     */
    public CostModel(LayerCostTable table, DeviceProfiles.Cluster cluster) {
        this(table, cluster, null);
    }

    /**
     * The model of {@code graph} (its table is {@link LayerCostTable#fromGraph}): {@link #predict(int[])} charges each
     * stage the halo bytes the plan's band boundaries cause in the partition geometry, which on downsampled maps
     * split into few rows differ from the even split's by up to a row per boundary, and may be one-sided (a stride-2
     * window needs rows from the band above but none from below when a boundary falls on an even row); and the stages
     * together take at least as long as the busiest link needs to carry all the plan's halos at its bandwidth (many
     * small halos, as in GoogLeNet's inception blocks, keep a slow link busy from stage to stage). The planner
     * plans on the even split's figures and checks and adjusts its rows against these. A graph the geometry cannot
     * split (an input with more than one batch) keeps the even split's halos.
     */
    public CostModel(Graph graph, DeviceProfiles.Cluster cluster) {
        this(LayerCostTable.fromGraph(graph), cluster, graph);
    }

    private CostModel(LayerCostTable table, DeviceProfiles.Cluster cluster, Graph graph) {
        this.graph = graph == null || !splitsByGeometry(graph) ? null : graph;
        this.table = table;
        this.cluster = cluster;
        this.devices = cluster.devices();
        this.n = devices.size();
        this.init = cluster.initiatorIndex();
        this.h = table.inputRows();
        List<List<LayerCostTable.Layer>> stages = new ArrayList<>();
        List<Integer> firstIndex = new ArrayList<>();
        List<LayerCostTable.Layer> all = table.layers();
        for (int li = 0; li < all.size(); li++) {
            LayerCostTable.Layer l = all.get(li);
            if (stages.isEmpty() || l.haloRows() > 0) {
                stages.add(new ArrayList<>());
                firstIndex.add(li);
            }
            stages.get(stages.size() - 1).add(l);
        }
        int ns = stages.size();
        stageNames = new String[ns];
        cp = new double[ns][n];
        cpRest = new double[ns][n];
        hide = new double[ns][n];
        cpLate = new double[ns][n];
        hxLat = new double[ns][n];
        halfHaloBytes = new double[ns];
        queuedHalfBytes = new double[ns];
        cpQueue = new double[ns][n];
        queues = new boolean[ns];
        queuedStages = new int[ns][];
        hxSideRef = new double[ns];
        inv = new double[n];
        double slowest = 0;
        for (int i = 0; i < n; i++) {
            inv[i] = 1 / devices.get(i).link().haloBandwidthBytesPerSecond();
            slowest = Math.max(slowest, inv[i]);
        }
        refPace = 2 * slowest;
        cbSide = new double[ns][n];
        stageHaloBytes = new double[ns];
        secondsPerFlop = new double[n][all.size()];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < all.size(); l++) {
                secondsPerFlop[i][l] = 1 / devices.get(i).rate(all.get(l).type());
            }
        }
        int[] sendAt = new int[ns];
        stageFirst = new int[ns];
        stageEnd = new int[ns];
        for (int s = 0; s < ns; s++) {
            sendAt[s] = Math.max(0, firstIndex.get(s) - stages.get(s).get(0).layersSinceInput());
            stageFirst[s] = firstIndex.get(s);
            stageEnd[s] = firstIndex.get(s) + stages.get(s).size();
        }
        stageSendAt = sendAt;
        queueFrom = sendAt.clone();
        for (int s = 0; s < ns; s++) {
            List<LayerCostTable.Layer> st = stages.get(s);
            stageNames[s] = st.get(0).name() + (st.size() > 1 ? " +" + (st.size() - 1) : "");
            stageHaloBytes[s] = st.get(0).haloBytes();
            halfHaloBytes[s] = stageHaloBytes[s] / 2;
            hxSideRef[s] = halfHaloBytes[s] * refPace;
            for (int i = 0; i < n; i++) {
                DeviceProfile d = devices.get(i);
                double sec = layerSeconds(d, firstIndex.get(s), firstIndex.get(s) + st.size());
                LayerCostTable.Layer first = st.get(0);
                double firstSec = first.flops() / d.rate(first.type());
                cp[s][i] = sec / h;
                cpRest[s][i] = Math.max(0, sec - firstSec) / h;
                // the layers that ran since the halo rows were sent (their producer computes and sends them
                // first); rows split in one proportion, so per input row like cp
                hide[s][i] = layerSeconds(d, sendAt[s], firstIndex.get(s)) / h;
                cpLate[s][i] = cpRest[s][i] - hide[s][i];
                if (stageHaloBytes[s] > 0) {
                    hxLat[s][i] = d.link().latencySeconds();
                    // the output rows that read halo rows: about one per halo row at the first layer
                    cbSide[s][i] = Math.min(first.haloRows(), first.outputRows()) * first.flopsPerOutputRow()
                            / d.rate(first.type()) / 2;
                }
            }
        }
        // A halo is sent when its producer has computed it (send position: the layer after the producer) and
        // received at the stage's first layer. One sent while an earlier-sent halo is still due at a later
        // stage queues behind it on the same links (GoogLeNet: a 3x3 branch's halo behind the inception
        // block's max-pool halo, sent with the block's input); that one had the layers between the two sends.
        for (int s = 0; s < ns; s++) {
            if (stageHaloBytes[s] <= 0) {
                continue;
            }
            int earliest = sendAt[s];
            List<Integer> behind = new ArrayList<>();
            for (int q = 0; q < ns; q++) {
                if (q != s && stageHaloBytes[q] > 0 && sendAt[q] < sendAt[s] && firstIndex.get(q) > sendAt[s]) {
                    queues[s] = true;
                    queuedHalfBytes[s] += halfHaloBytes[q];
                    earliest = Math.min(earliest, sendAt[q]);
                    behind.add(q);
                }
            }
            queuedStages[s] = behind.stream().mapToInt(Integer::intValue).toArray();
            queueFrom[s] = earliest;
            for (int i = 0; queues[s] && i < n; i++) {
                cpQueue[s][i] = cpLate[s][i] - layerSeconds(devices.get(i), earliest, sendAt[s]) / h;
            }
        }
        haloStage = graph == null ? null : haloStages(graph, firstIndex, all);
        DeviceProfile id = devices.get(init);
        sgRow = new double[n];
        scRow = new double[n];
        gaRow = new double[n];
        credit = new double[n];
        sgLat = new double[n];
        request = new double[n];
        extraWorker = devices.get(init).link().requestSeconds();
        for (int i = 0; i < n; i++) {
            if (i == init) {
                continue;
            }
            LinkProfile pair = id.link().pairWith(devices.get(i).link());
            scRow[i] = table.scatterBytesPerRow() / pair.bandwidthBytesPerSecond();
            gaRow[i] = table.gatherBytesPerRow() / pair.bandwidthBytesPerSecond();
            sgRow[i] = scRow[i] + gaRow[i];
            credit[i] = pair.burstBytes() / pair.bandwidthBytesPerSecond();
            // two message latencies (scatter, gather) and the worker's fixed cost per request
            request[i] = devices.get(i).link().requestSeconds();
            sgLat[i] = (table.gatherBytesPerRow() > 0 ? 2 : 1) * pair.latencySeconds() + request[i];
        }
        double t = 0;
        for (var e : table.tailFlops().entrySet()) {
            t += e.getValue() / id.rate(e.getKey());
        }
        tail = t;
        idleW = new double[n];
        dcpW = new double[n];
        dtxW = new double[n];
        memRow = new double[n];
        memFixedWhenRows = new double[n];
        memHalo = new double[n];
        memBudget = new double[n];
        double maxHalo = 0;
        for (double b : stageHaloBytes) {
            maxHalo = Math.max(maxHalo, b);
        }
        for (int i = 0; i < n; i++) {
            DeviceProfile d = devices.get(i);
            idleW[i] = d.idleWatts();
            dcpW[i] = d.computeWatts() - d.idleWatts();
            dtxW[i] = d.transmitWatts() - d.idleWatts();
            memRow[i] = table.activationBytesPerRow();
            memFixedWhenRows[i] = table.spatialWeightBytes();
            memHalo[i] = maxHalo;
            memBudget[i] = d.memoryBytes() - (i == init ? table.initiatorFixedBytes() + table.tailWeightBytes() : 0);
        }
    }

    /** Seconds device {@code d} computes the whole of the table's layers {@code [from, to)}. */
    private double layerSeconds(DeviceProfile d, int from, int to) {
        double sec = 0;
        for (LayerCostTable.Layer l : table.layers().subList(from, to)) {
            sec += l.flops() / d.rate(l.type());
        }
        return sec;
    }

    public LayerCostTable table() {
        return table;
    }

    public DeviceProfiles.Cluster cluster() {
        return cluster;
    }

    public int deviceCount() {
        return n;
    }

    public int initiatorIndex() {
        return init;
    }

    /** Rows of the input map, {@code H}. */
    public int inputRows() {
        return h;
    }

    public int stageCount() {
        return stageNames.length;
    }

    /** Each stage's first layer, with the number of halo-free layers that follow it. */
    public List<String> stageNames() {
        return List.of(stageNames);
    }

    public List<String> deviceNames() {
        return devices.stream().map(DeviceProfile::name).toList();
    }

    /** Seconds the initiator spends on the tail. */
    public double tailSeconds() {
        return tail;
    }

    /**
     * Latency and energy of a partition from its geometry's exact accounting instead of the planning
     * model's proportional rows: each graph node is a layer, a device's time at it is its exact FLOPs over
     * its rate for the node's type plus the bytes it receives there (halos, its scatter band, gathered
     * maps at the tail device): halos once its link has carried all of them and each sender's link all the
     * halos that sender sends at the node, other messages each at the pair's bandwidth beyond the pair's
     * burst; plus one link latency of its own link when it receives anything (the device's own time), the
     * halos' bytes of a row-split node overlapping its compute ({@code max}) and every other transfer
     * preceding it ({@code +}); {@code T = sum over nodes of the max over devices}, plus the largest fixed per-request
     * cost among the other devices that take part (requests go out together) and the initiator's cost of the workers
     * beyond the first ({@link #extraWorkerSeconds(int)}). Energy as in {@link #predict(int[])}, from the
     * same per-device busy times. Devices are matched to the plan by position; the plan's tail device
     * should be the initiator for the two predictions to be comparable.
     *
     * @return {latencySeconds, energyJoules}
     */
    public double[] predictExact(Geometry geometry) {
        Graph g = geometry.graph();
        Accounting acc = geometry.predicted();
        if (acc.devices() != n) {
            throw new IllegalArgumentException("plan has " + acc.devices() + " devices, the cluster " + n);
        }
        List<Node> nodes = g.nodes();
        // a device's halos at a node are in once its own link has carried all of them inbound and each
        // sender's link all the halos that sender sends there outbound (they travel together); its other
        // messages (scatter band, gathered maps) each at the pair's bandwidth, as in predict
        int nn = nodes.size();
        double[][] haloIn = new double[n][nn], haloOut = new double[n][nn], rxSeconds = new double[n][nn];
        for (Transfer tr : geometry.transfers()) {
            if (tr.kind() == Transfer.Kind.HALO) {
                haloIn[tr.to()][tr.stage()] += tr.bytes();
                haloOut[tr.from()][tr.stage()] += tr.bytes();
            } else {
                // a scatter band or gathered map: after the link sat idle, its burst goes at line speed
                rxSeconds[tr.to()][tr.stage()] += devices.get(tr.to()).link().pairWith(devices.get(tr.from()).link())
                        .pacedSecondsAfterIdle(tr.bytes());
            }
        }
        double[][] haloSeconds = new double[n][nn];
        for (Transfer tr : geometry.transfers()) {
            if (tr.kind() == Transfer.Kind.HALO) {
                int to = tr.to(), l = tr.stage();
                haloSeconds[to][l] = Math.max(haloSeconds[to][l],
                        Math.max(haloIn[to][l] * inv[to], haloOut[tr.from()][l] * inv[tr.from()]));
            }
        }
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < nn; l++) {
                rxSeconds[i][l] += haloSeconds[i][l];
            }
        }
        double latency = 0;
        double[] busyCp = new double[n], busyTx = new double[n];
        boolean[] on = new boolean[n];
        on[init] = true;
        for (int l = 0; l < nodes.size(); l++) {
            Node node = nodes.get(l);
            LayerType type = LayerCostTable.typeOf(g, node);
            boolean overlap = l > 0 && !node.outputs().isEmpty() && !node.output().isEmpty()
                    && geometry.isSplit(node.output());
            double mx = 0;
            for (int i = 0; i < n; i++) {
                DeviceProfile d = devices.get(i);
                long f = acc.flops(i, l);
                long rx = acc.bytesReceived(i, l);
                double c = f / d.rate(type);
                double lat = rx > 0 ? d.link().latencySeconds() : 0;
                double paced = rx > 0 ? rxSeconds[i][l] : 0;
                double t = paced + lat;
                if (f > 0 || rx > 0 || acc.bytesSent(i, l) > 0) {
                    on[i] = true;
                }
                busyCp[i] += c;
                busyTx[i] += t;
                // halos arrive while the interior rows are computed (the exchange's fixed cost is the device's
                // own time); the scatter band and gathered maps must be in before anything is computed on them
                mx = Math.max(mx, overlap ? lat + Math.max(c, paced) : c + t);
            }
            latency += mx;
        }
        double req = 0;
        int workers = 0;
        for (int i = 0; i < n; i++) {
            if (on[i] && i != init) {
                req = Math.max(req, request[i]);
                workers++;
            }
        }
        double coordination = extraWorkerSeconds(workers);
        latency += req + coordination;
        busyCp[init] += coordination;
        double energy = 0;
        for (int i = 0; i < n; i++) {
            if (on[i]) {
                energy += idleW[i] * latency + dcpW[i] * busyCp[i] + dtxW[i] * busyTx[i];
            }
        }
        return new double[] {latency, energy};
    }

    /**
     * How many neighbours each device exchanges halos with: 0 without rows or when it alone owns rows, 1 for
     * the first and the last device that own rows (bands follow the device order), 2 for those in between.
     */
    static int[] sides(double[] a) {
        int n = a.length;
        int[] out = new int[n];
        int first = -1, last = -1;
        for (int i = 0; i < n; i++) {
            if (a[i] > 0) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        for (int i = 0; i < n; i++) {
            if (a[i] > 0 && first != last) {
                out[i] = (i > first ? 1 : 0) + (i < last ? 1 : 0);
            }
        }
        return out;
    }

    static int[] sides(int[] rows) {
        double[] a = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            a[i] = rows[i];
        }
        return sides(a);
    }

    /**
     * Seconds per byte of one side's halo of each device: {@code max over x in {i} + N(i) of k_x / b_x}, the
     * busiest of the links its halos cross (its own inbound, carrying its {@code k_i} sides, and each
     * neighbour's outbound, carrying that neighbour's {@code k_j} sides); the devices that own rows are
     * neighbours of the next one that owns rows in the device order. 0 for a device without neighbours.
     */
    double[] sidePace(double[] a) {
        int[] k = sides(a);
        double[] out = new double[n];
        int prev = -1;
        for (int i = 0; i < n; i++) {
            if (a[i] > 0) {
                if (prev >= 0) {
                    out[i] = Math.max(out[i], Math.max(k[i] * inv[i], k[prev] * inv[prev]));
                    out[prev] = Math.max(out[prev], Math.max(k[prev] * inv[prev], k[i] * inv[i]));
                }
                prev = i;
            }
        }
        return out;
    }

    double[] sidePace(int[] rows) {
        double[] a = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            a[i] = rows[i];
        }
        return sidePace(a);
    }

    /**
     * Seconds of halo receive of device {@code i} in stage {@code s} with {@code sides} neighbours whose
     * {@link #sidePace} is {@code sidePace}.
     */
    double haloSeconds(int s, int i, int sides, double sidePace) {
        return sides > 0 && stageHaloBytes[s] > 0 ? hxLat[s][i] + halfHaloBytes[s] * sidePace : 0;
    }

    /**
     * Seconds device {@code i} spends in stage {@code s} owning {@code a > 0} rows with {@code sides}
     * neighbours ({@link #sidePace} {@code sidePace}). When halos are exchanged the device computes the first
     * layer's interior rows while its neighbours' halos travel, then the rows next to the boundary, then the
     * stage's other layers: {@code x + max(cp a, (cpRest - hide) a + halo + boundary)}, where
     * {@code hide} are the layers that ran since the halo was sent and {@code x} the fixed cost of the stage's
     * exchange (once, with one neighbour or two); without halos {@code cp a}.
     */
    double stageSeconds(int s, int i, double a, int sides, double sidePace) {
        return stageSeconds(s, i, cp[s][i] * a, cpLate[s][i] * a, cpQueue[s][i] * a, stageHaloBytes[s] > 0 ? sides : 0,
                hxLat[s][i], halfHaloBytes[s] * sidePace, (halfHaloBytes[s] + queuedHalfBytes[s]) * sidePace);
    }

    /**
     * The stage time both halo accountings share: the stage's compute {@code c}, of which {@code late} runs after the
     * halos are taken in ({@code cpLate}) and {@code lateQueued} after those it queues behind ({@code cpQueue});
     * {@code k} exchanges of fixed cost {@code x} for all of them, the halos in after {@code paced} seconds, and after
     * {@code pacedQueued} where they queue behind earlier-sent ones.
     */
    private double stageSeconds(int s, int i, double c, double late, double lateQueued, int k, double x, double paced,
                                double pacedQueued) {
        if (k <= 0) {
            return c;
        }
        double bound = late + paced + k * cbSide[s][i];
        if (queues[s]) {
            bound = Math.max(bound, lateQueued + pacedQueued + k * cbSide[s][i]);
        }
        return x + Math.max(c, bound);
    }

    /**
     * The initiator's own time for {@code workers} other devices taking part: its per-request cost for each one beyond
     * the first.
     */
    double extraWorkerSeconds(int workers) {
        return workers > 1 ? extraWorker * (workers - 1) : 0;
    }

    /** Scatter plus gather seconds of device {@code i != initiator} owning {@code a > 0} rows. */
    double scatterGatherSeconds(int i, double a) {
        return scatterPacing(i, a) + gatherPacing(i, a) + sgLat[i];
    }

    /** Seconds device {@code i}'s scatter of {@code a} rows is paced by its link, beyond the link's burst. */
    double scatterPacing(int i, double a) {
        return Math.max(0, scRow[i] * a - credit[i]);
    }

    /** The same for its gather. */
    double gatherPacing(int i, double a) {
        return Math.max(0, gaRow[i] * a - credit[i]);
    }

    /**
     * The linear pieces whose maximum is {@code scatterGatherSeconds(i, a)}: {@code {perRow, fixed}} with
     * {@code seconds = max_k (perRow_k a + fixed_k)} for {@code a > 0} ({@code max(0, x) + max(0, y) =
     * max(0, x, y, x + y)}); one piece for a link without burst.
     */
    double[][] scatterGatherPieces(int i) {
        if (credit[i] <= 0) {
            return new double[][] {{sgRow[i], sgLat[i]}};
        }
        return new double[][] {
            {sgRow[i], sgLat[i] - 2 * credit[i]},
            {scRow[i], sgLat[i] - credit[i]},
            {gaRow[i], sgLat[i] - credit[i]},
            {0, sgLat[i]}};
    }

    /**
     * Predicts latency, energy and memory of a split of the input rows; for a model built from a graph, with the
     * split's own halos ({@link #CostModel(Graph, DeviceProfiles.Cluster)}).
     */
    public Prediction predict(int[] rows) {
        Plan.requireRows(rows, n, h);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rows[i];
        }
        return predict(a, rows.clone(), graph == null ? null : stageHalos(rows));
    }

    /** Whether {@link #predict(int[])} charges each plan's own halo bytes (the model was built from a graph). */
    public boolean chargesPlanHalos() {
        return graph != null;
    }

    /**
     * One plan's halos per stage, from its partition geometry: {@code paced[s][i]} the seconds until device
     * {@code i}'s halos of stage {@code s} are in, at the busiest of the links they cross (its own inbound, carrying
     * all of them, and each sender's outbound, carrying all that sender sends in the stage); {@code pacedQueued} the
     * same with the halos of the earlier-sent stages the stage queues behind; {@code exchanges[s][i]} how many
     * neighbours send it halos in the stage (0 for a side whose band already holds the rows its windows read);
     * {@code linkSeconds} the longest any device's link takes to carry all the halos it receives or all it sends
     * in the inference at the link's bandwidth ({@link LinkProfile#bandwidthBytesPerSecond()}, not the halo
     * bandwidth: a link carries no more than that however the halos fall into stages).
     */
    record StageHalos(double[][] paced, double[][] pacedQueued, int[][] exchanges, double linkSeconds,
                      PlanCompute compute) {
    }

    /**
     * One plan's compute per stage and device from the FLOPs of the rows it computes at each layer
     * ({@link PlanTransfers#splitFlops}), in seconds: {@code all} the stage's layers ({@code cp a} of the even
     * split), {@code late} those after the halos are taken in ({@code cpLate a}), {@code lateQueued} those after the
     * halos it queues behind ({@code cpQueue a}). Downsampling floors a band's boundaries at every map, so a device's
     * share of a deep map's rows can be far from its share of the input's: the first 111 of GoogLeNet's 224 input rows
     * own 3 of the 7 rows of its last maps, 6 of 14 and 13 of 28 before them, 43-46 % of the deep layers' work for
     * 49.6 % of the input.
     */
    record PlanCompute(double[][] all, double[][] late, double[][] lateQueued) {
    }

    /** Distinct plans whose halos are kept; the planner's checks revisit a few dozen. */
    private static final int HALO_CACHE = 256;

    StageHalos stageHalos(int[] rows) {
        List<Integer> key = Arrays.stream(rows).boxed().toList();
        StageHalos cached = halosByRows.get(key);
        if (cached != null) {
            return cached;
        }
        if (halosByRows.size() >= HALO_CACHE) {
            halosByRows.clear();
        }
        StageHalos hx = planHalos(rows);
        halosByRows.put(key, hx);
        return hx;
    }

    private StageHalos planHalos(int[] rows) {
        int ns = stageNames.length;
        double[][] in = new double[ns][n], out = new double[ns][n];
        boolean[] from = new boolean[ns * n * n]; // [stage][to][from]
        boolean[] receives = new boolean[ns * n]; // [stage][to]: some device sends it halos
        boolean[] sends = new boolean[n]; // the device sends halos in some stage
        HaloSource src = haloSource;
        if (src == null) {
            Plan plan = new Plan(0, deviceNames(), rows, Sync.every(), devices.get(init).name());
            // built once per model: the checks of one plan() call revisit most devices' bands
            int[] stageOfNode = new int[graph.nodes().size()];
            for (int i = 0; i < stageOfNode.length; i++) {
                List<String> outs = graph.nodes().get(i).outputs();
                Integer s = outs.isEmpty() ? null : haloStage.get(outs.get(0));
                stageOfNode[i] = s == null ? -1 : s;
            }
            PlanTransfers transfers = PlanTransfers.of(graph, plan);
            // a table layer the geometry does not split by rows (none in the zoo) keeps the even split's proportion
            boolean[] splitLayer = new boolean[table.layers().size()];
            for (int l = 0; l < splitLayer.length; l++) {
                splitLayer[l] = transfers.splitsByRows(l);
            }
            src = new HaloSource(transfers, stageOfNode, splitLayer);
            haloSource = src;
        }
        int[] stageOfNode = src.stageOfNode();
        src.transfers().forEachHalo(rows, (node, sender, to, rowStart, rowEnd, bytes) -> {
            int s = stageOfNode[node];
            if (s >= 0) {
                in[s][to] += bytes;
                out[s][sender] += bytes;
                from[(s * n + to) * n + sender] = true;
                receives[s * n + to] = true;
                sends[sender] = true;
            }
        });
        double[][] paced = new double[ns][n], pacedQueued = new double[ns][n];
        int[][] exchanges = new int[ns][n];
        double linkSeconds = 0;
        for (int i = 0; i < n; i++) {
            double inAll = 0, outAll = 0;
            for (int s = 0; s < ns; s++) {
                inAll += in[s][i];
                outAll += out[s][i];
            }
            linkSeconds = Math.max(linkSeconds, Math.max(inAll, outAll) / devices.get(i).link().bandwidthBytesPerSecond());
        }
        int[] senders = new int[n];
        int count = 0;
        for (int j = 0; j < n; j++) {
            if (sends[j]) {
                senders[count++] = j;
            }
        }
        double[] outQ = new double[n];
        for (int s = 0; s < ns; s++) {
            int[] queued = queuedStages[s];
            for (int j = 0; j < n; j++) {
                double o = out[s][j];
                for (int q : queued) {
                    o += out[q][j];
                }
                outQ[j] = o;
            }
            for (int i = 0; i < n; i++) {
                double inQ = in[s][i];
                for (int q : queued) {
                    inQ += in[q][i];
                }
                double p = in[s][i] * inv[i], pq = inQ * inv[i];
                boolean any = receives[s * n + i];
                for (int k = 0; k < queued.length && !any; k++) {
                    any = receives[queued[k] * n + i];
                }
                int at = (s * n + i) * n;
                for (int r = 0; any && r < count; r++) {
                    int j = senders[r]; // the others send nothing: from[..][..][j] is false throughout
                    boolean own = from[at + j];
                    boolean sent = own;
                    for (int k = 0; k < queued.length && !sent; k++) {
                        sent = from[(queued[k] * n + i) * n + j];
                    }
                    if (own) {
                        exchanges[s][i]++;
                        p = Math.max(p, out[s][j] * inv[j]);
                    }
                    if (sent) {
                        pq = Math.max(pq, outQ[j] * inv[j]);
                    }
                }
                paced[s][i] = p;
                pacedQueued[s][i] = pq; // at least p: the same links carry at least the same bytes
            }
        }
        return new StageHalos(paced, pacedQueued, exchanges, linkSeconds, planCompute(rows, src));
    }

    /** {@link PlanCompute} of a split of the input rows. */
    private PlanCompute planCompute(int[] rows, HaloSource src) {
        long[][] flops = src.transfers().splitFlops(rows);
        List<LayerCostTable.Layer> layers = table.layers();
        int nl = layers.size();
        boolean[] exact = src.splitLayer();
        int ns = stageNames.length;
        double[][] all = new double[ns][n], late = new double[ns][n], lateQueued = new double[ns][n];
        double[] upTo = new double[nl + 1]; // seconds of the layers before each table index
        for (int i = 0; i < n; i++) {
            double[] perFlop = secondsPerFlop[i];
            for (int l = 0; l < nl; l++) {
                double f = exact[l] ? flops[i][l] : (double) layers.get(l).flops() * rows[i] / h;
                upTo[l + 1] = upTo[l] + f * perFlop[l];
            }
            for (int s = 0; s < ns; s++) {
                int first = stageFirst[s];
                double sec = upTo[stageEnd[s]] - upTo[first];
                double rest = Math.max(0, sec - (upTo[first + 1] - upTo[first]));
                all[s][i] = sec;
                late[s][i] = rest - (upTo[first] - upTo[stageSendAt[s]]);
                lateQueued[s][i] = late[s][i] - (upTo[stageSendAt[s]] - upTo[queueFrom[s]]);
            }
        }
        return new PlanCompute(all, late, lateQueued);
    }

    /**
     * Maps each graph value whose halo rows the geometry sends to the stage where they are received: the stage of
     * the value's first reader that needs a halo (the table's {@link LayerCostTable.Layer#haloRows()} &gt; 0), else
     * of its first reader. The table's layers are the graph's first nodes, in order.
     */
    private static Map<String, Integer> haloStages(Graph g, List<Integer> firstIndex, List<LayerCostTable.Layer> layers) {
        int[] stageOf = new int[layers.size()];
        for (int s = 0; s < firstIndex.size(); s++) {
            int end = s + 1 < firstIndex.size() ? firstIndex.get(s + 1) : layers.size();
            Arrays.fill(stageOf, firstIndex.get(s), end, s);
        }
        List<Node> nodes = g.nodes();
        Map<String, Integer> out = new HashMap<>();
        for (int pass = 0; pass < 2; pass++) {
            for (int li = 0; li < layers.size(); li++) {
                Node node = nodes.get(li);
                if (!node.name().equals(layers.get(li).name())) {
                    throw new IllegalStateException("layer " + li + " of the table is '" + layers.get(li).name()
                            + "', node " + li + " of the graph '" + node.name() + "'");
                }
                if (pass == 0 && layers.get(li).haloRows() > 0) {
                    out.putIfAbsent(node.input(0), stageOf[li]);
                } else if (pass == 1) {
                    for (String v : node.inputs()) {
                        if (!v.isEmpty()) {
                            out.putIfAbsent(v, stageOf[li]);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@link #stageSeconds(int, int, double, int, double)} with the plan's own halos and compute: {@code k} exchanges,
     * {@code x + max(all, late + paced + k boundary)} for {@code k >= 1} ({@link PlanCompute}), and the queued term
     * alike.
     */
    double stageSeconds(int s, int i, StageHalos hx) {
        PlanCompute c = hx.compute();
        return stageSeconds(s, i, c.all()[s][i], c.late()[s][i], c.lateQueued()[s][i], hx.exchanges[s][i],
                devices.get(i).link().latencySeconds(), hx.paced[s][i], hx.pacedQueued[s][i]);
    }

    /** {@link #haloSeconds(int, int, int, double)} with the plan's own halos. */
    double haloSeconds(int s, int i, StageHalos hx) {
        int k = hx.exchanges[s][i];
        return k > 0 ? devices.get(i).link().latencySeconds() + hx.paced[s][i] : 0;
    }

    /** The same for fractional rows (used to inspect LP relaxations); {@code hx} null for the even split's halos. */
    Prediction predict(double[] a, int[] rowsForRecord, StageHalos hx) {
        int ns = stageNames.length;
        int owners = 0;
        for (double v : a) {
            if (v > 0) {
                owners++;
            }
        }
        boolean split = owners >= 2;
        int[] sides = sides(a);
        double[] sp = sidePace(a);
        double[] stage = new double[ns];
        double[][] comp = new double[ns][n];
        double[][] tx = new double[ns][n];
        double[] busyCp = new double[n], busyTx = new double[n];
        double sumStages = 0;
        for (int s = 0; s < ns; s++) {
            double m = 0;
            for (int i = 0; i < n; i++) {
                comp[s][i] = hx == null ? cp[s][i] * a[i] : hx.compute().all()[s][i];
                if (hx == null) {
                    tx[s][i] = haloSeconds(s, i, sides[i], sp[i]);
                    m = Math.max(m, a[i] > 0 ? stageSeconds(s, i, a[i], sides[i], sp[i]) : 0);
                } else {
                    tx[s][i] = haloSeconds(s, i, hx);
                    m = Math.max(m, a[i] > 0 ? stageSeconds(s, i, hx) : 0);
                }
                busyCp[i] += comp[s][i];
                busyTx[i] += tx[s][i];
            }
            stage[s] = m;
            sumStages += m;
        }
        if (hx != null && hx.linkSeconds() > sumStages && ns > 0) {
            // a link carries the plan's halos no faster than its bandwidth, whatever the stages' overlap: the
            // inference's last stage ends no earlier than that
            stage[ns - 1] += hx.linkSeconds() - sumStages;
            sumStages = hx.linkSeconds();
        }
        // every worker has its own link: the scatters run at the same time, and so do the gathers
        double scatter = 0, gather = 0;
        double[] sg = new double[n];
        int workers = 0;
        for (int i = 0; i < n; i++) {
            if (i != init && a[i] > 0) {
                workers++;
                sg[i] = scatterGatherSeconds(i, a[i]);
                if (sg[i] > scatter + gather) {
                    scatter = scatterPacing(i, a[i])
                            + (sgLat[i] - request[i]) / (table.gatherBytesPerRow() > 0 ? 2 : 1) + request[i];
                    gather = sg[i] - scatter;
                }
            }
        }
        double coordination = extraWorkerSeconds(workers);
        scatter += coordination;
        double latency = sumStages + scatter + gather + tail;
        double[] energy = new double[n];
        double[] mem = new double[n];
        boolean memOk = true;
        double total = 0;
        for (int i = 0; i < n; i++) {
            boolean on = i == init || a[i] > 0;
            if (!on) {
                continue;
            }
            double e = idleW[i] * latency + dcpW[i] * busyCp[i] + dtxW[i] * busyTx[i];
            if (i != init) {
                e += dtxW[i] * sg[i];
                energy[init] += dtxW[init] * sg[i];
            } else {
                e += dcpW[i] * (tail + coordination);
            }
            energy[i] += e;
            mem[i] = (a[i] > 0 ? memFixedWhenRows[i] + memRow[i] * a[i] + (split ? memHalo[i] : 0) : 0)
                    + (i == init ? devices.get(i).memoryBytes() - memBudget[i] : 0);
            if (a[i] > 0 && memFixedWhenRows[i] + memRow[i] * a[i] + (split ? memHalo[i] : 0) > memBudget[i] + 1e-6) {
                memOk = false;
            }
            if (i == init && memBudget[i] < 0) {
                memOk = false;
            }
        }
        for (double e : energy) {
            total += e;
        }
        return new Prediction(rowsForRecord, latency, total, stage, comp, tx, scatter, gather, tail, energy, mem, memOk);
    }
}
