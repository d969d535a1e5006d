/**
 * The CoEdge planner: how many rows of the input map each device computes, so that one inference meets a
 * latency deadline with the least energy, and keeps doing so as conditions change.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.coedge.planner.DeviceProfile}: compute rate per {@link io.coedge.planner.LayerType}
 *       (conv 1x1/3x3/5x5/7x7/kxk, depthwise, FC, pool, other), memory budget, power (idle, compute,
 *       transmit) and {@link io.coedge.planner.LinkProfile} (bandwidth, one-way latency; default
 *       100 Mbit/s and 1 ms). {@link io.coedge.planner.DeviceProfiles} reads device files (a YAML subset)
 *       and the presets {@code rpi3b+, rpi4b, jetson-nano, jetson-tx2, desktop} from
 *       {@code presets.yaml}, where each figure names its public source or says "estimate".</li>
 *   <li>{@link io.coedge.planner.Profiler}: a short micro-benchmark per layer type through
 *       {@code Executor}; {@link io.coedge.planner.LinkProfiler}: bandwidth and latency from a
 *       {@link io.coedge.planner.LinkProbe} the transport provides.</li>
 *   <li>{@link io.coedge.planner.LayerCostTable}: per-layer FLOPs, type and halo of a graph;
 *       {@link io.coedge.planner.CostModel}: predicted compute, transfer and idle time per stage and device,
 *       latency and energy of a row split ({@code predict}), or of a partition's exact geometry
 *       ({@code predictExact(Geometry)}).</li>
 *   <li>{@link io.coedge.planner.Planner}: the MILP (see its javadoc for the formulation), solved fast
 *       through the LP relaxation, rounding, repair and a device-selection search, or exactly with ojAlgo's
 *       branch and bound ({@code exact}); {@link io.coedge.planner.Baselines}: local, equal, proportional,
 *       latency-minimal.</li>
 *   <li>{@link io.coedge.planner.PlanReport}: what {@code coedge plan} prints (text, JSON, SVG).</li>
 *   <li>{@link io.coedge.planner.Replanner}: re-planning from {@link io.coedge.planner.LiveCounters} with
 *       EWMA smoothing, a gain threshold and confirmation ticks; new plan versions take effect at the next
 *       {@code beginInference()}.</li>
 * </ul>
 *
 * <h2>Using it</h2>
 * <pre>
 * DeviceProfiles.Cluster cluster = DeviceProfiles.resolve("rpi4b,jetson-nano,rpi3b+"); // or a file
 * PlanResult plan = new Planner(new CostModel(graph, cluster)).plan(Planner.Objective.ENERGY, 0.250);
 * int[] rows = plan.rows();           // input rows per device, cluster order; feed Plan.explicit(...)
 * </pre>
 * For the runtime: {@code Plan.explicit(cluster device names, plan.rows(), Sync.every())}; the planner's
 * initiator (first device unless the file says {@code initiator:}) should be the plan's tail device.
 * For live counters: adapt the transport's counter snapshot to {@link io.coedge.planner.LiveCounters}
 * (per device: FLOP/s achieved on its band, halo bytes/s received; devices present = devices alive).
 */
package io.coedge.planner;
