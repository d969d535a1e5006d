/**
 * CoEdge transport and runtime over Aeron: worker processes, the coordinator inside the application,
 * zero-copy halos, live counters.
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.coedge.transport.TransportConfiguration} / {@link io.coedge.transport.TransportContext}:
 *       every setting (property, default, meaning) in one place; {@link io.coedge.transport.TransportNode}:
 *       one process's embedded media driver (own directory under {@code coedge.transport.baseDir}, or an
 *       external driver) and client.</li>
 *   <li>{@link io.coedge.transport.protocol}: the wire format. Control messages (HELLO, JOIN, DEPLOY_MODEL,
 *       MODEL_STATUS, PLAN, INFER, RESULT, HEARTBEAT, ERROR, BYE, ACK) carry plan version, request id and a
 *       per-sender sequence, and end with an HMAC-SHA256 over the whole message under the cluster key (which
 *       never travels). Halo frames carry plan version, request id, transfer id, rows and chunk offsets. A
 *       frame too short for its own length fields, forged, replayed, stale or unexpected is dropped and
 *       counted ({@link io.coedge.transport.protocol.FrameCheck}).</li>
 *   <li>{@link io.coedge.transport.halo}: {@code HaloSender} (rows claimed straight into the term buffer),
 *       {@code HaloReceiver} (fragments copied straight into the device's halo rows), and
 *       {@code AeronHaloExchange}, the {@link io.coedge.partition.HaloExchange} over Aeron IPC (devices in one
 *       process) and UDP (across processes). No allocation per halo; back pressure and "not connected" wait
 *       with an idle strategy up to a timeout, then fail with a message.</li>
 *   <li>{@link io.coedge.transport.runtime}: {@code Worker} / {@code WorkerMain} (one device per process,
 *       up across many plans and requests, clean stop on SIGTERM), {@code CoEdgeCluster} (the coordinator:
 *       join, deploy by hash, plans, requests), {@code PartitionedSession} (a model split by a
 *       {@link io.coedge.partition.Plan} across workers and this process), {@code CoEdgeSession} (whole
 *       model on one worker with fall-backs), {@code ClusterConfig} (cluster file), {@code LocalWorkers}
 *       (worker processes on this machine).</li>
 *   <li>{@link io.coedge.transport.stat}: counters in each process's driver counters file
 *       ({@code WorkerCounters}), read from another process by {@code LiveCounters} (the planner) and
 *       {@code StatMain} ({@code coedge stat}).</li>
 * </ul>
 *
 * <h2>Use</h2>
 * <pre>{@code
 * // on each board:   coedge worker --name pi4-a --endpoint 192.168.1.21:40100 --cluster-key-file cluster.key
 * try (CoEdgeCluster cluster = CoEdgeCluster.connect(ClusterConfig.read(Path.of("cluster.conf")))) {
 *     Plan plan = Plan.explicit(List.of("local", "pi4-a", "jetson"), new int[] {0, 100, 124}, Sync.every())
 *             .withTail("local");
 *     try (PartitionedSession session = cluster.deploy(ModelSpec.zoo("resnet18", 0), plan)) {
 *         Tensor logits = session.infer(arena, input);
 *     }
 * }
 * }</pre>
 * The coordinator's own device is named {@code "local"}; it is the plan's tail (it holds the input, scatters,
 * gathers, runs the tail) and may own zero rows.
 *
 * <h2>Streams</h2>
 * A worker listens on its endpoint for control (stream 1001) and halos (1002); the coordinator receives
 * replies (1003) and halos (1002) on its endpoint. JVMs need {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}
 * (Aeron's driver) and, on JDK 23+, {@code --sun-misc-unsafe-memory-access=allow} (Agrona) to run without warnings.
 */
package io.coedge.transport;
