/**
 * Row partitioning: one CNN inference split by rows of its feature maps across devices, exact against
 * one device.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.coedge.partition.Plan}: devices, input rows per device, {@link io.coedge.partition.Sync}
 *       ({@code every} or {@code fused:K}), tail device; immutable, validated, versioned, one-line text
 *       form ({@code toText}/{@code parse}) for the wire. Factories: {@code equal}, {@code explicit},
 *       {@code random}, and {@code fromSpec} for the CLI forms. Deeper maps are split in the input's
 *       proportion ({@link io.coedge.partition.Plan#boundaries(int)}).</li>
 *   <li>{@link io.coedge.partition.Geometry}: what a plan means on a graph: split / reduction /
 *       replicated / tail nodes, rows each device computes and needs at every layer, the
 *       {@link io.coedge.partition.Transfer}s (scatter, halo, gather, partial sums) and each device's
 *       program of {@link io.coedge.partition.Step}s; {@code predicted()} is the
 *       {@link io.coedge.partition.Accounting} (FLOPs, bytes sent/received per device per layer, peak
 *       bytes) a run counts.</li>
 *   <li>{@link io.coedge.partition.HaloExchange}: how transfers move; zero-copy shaped (sender passes
 *       a slice of its NHWC rows, receiver the slice of its halo rows). In-process implementation:
 *       {@link io.coedge.partition.InProcessHaloExchange}.</li>
 *   <li>{@link io.coedge.partition.PartitionedExecutor}: runs it: all devices stepped on one thread
 *       ({@code run}), one thread per device ({@code runThreaded}), or one device of a multi-process
 *       cluster ({@code runDevice}).</li>
 *   <li>{@link io.coedge.partition.PartitionedRun}: the CLI's {@code --devices/--partition/--sync}.</li>
 * </ul>
 *
 * <h2>For the transport</h2>
 * Every process builds the same {@code Geometry.of(graph, Plan.parse(text))}: transfer ids, sizes and
 * rows are then identical everywhere and can serve as message headers. A worker runs
 * {@code new PartitionedExecutor(geometry, providers, myIndex).runDevice(myIndex, inputOrNull, aeronExchange, counted, arena)};
 * its program calls {@code send} for rows as soon as they are computed (boundary rows first, then the
 * interior) and {@code receive} just before the first layer that reads them.
 *
 * <h2>For the planner</h2>
 * {@code Geometry.of(graph, candidate).predicted()} gives, for any candidate split, per-device
 * per-layer FLOPs ({@code flops(d, layer)}) and bytes ({@code bytesSent/bytesReceived(d, layer)},
 * layers indexed as {@code graph.nodes()}) and peak bytes; {@code computedRows}, {@code haloRows},
 * {@code flopsPerRow} ({@code rho_l}) and {@code rowBytes} ({@code beta_l}) give the linear
 * coefficients. It touches no tensor data and costs O(layers x devices) plus the transfer list.
 */
package io.coedge.partition;
