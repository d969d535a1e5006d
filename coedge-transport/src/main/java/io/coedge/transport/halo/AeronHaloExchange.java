package io.coedge.transport.halo;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.partition.Geometry;
import io.coedge.partition.HaloExchange;
import io.coedge.partition.HaloExchangeException;
import io.coedge.partition.Transfer;
import io.coedge.transport.TransportContext;
import io.coedge.transport.TransportNode;
import io.coedge.transport.stat.WorkerCounters;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * {@link HaloExchange} over Aeron: the transfers of a {@link Geometry} (scatter, halos, gathers, partial
 * sums) between the devices of this process and the others. Every process builds the same geometry, so
 * a transfer's id names it on the wire ({@link io.coedge.transport.protocol.HaloFrame}'s index field), with
 * the plan version and a request id so that inferences never mix.
 *
 * <p>Sends go from the sender's rows into the publication towards the receiving device ({@link HaloSender});
 * receives land in the rows the device passes ({@link HaloReceiver#receive}). One subscription per local
 * device; one publication per (local sender, receiver) pair. Built once per plan; {@link #begin} before each
 * request. While a send waits for back pressure, the local receivers are polled so that two devices sending
 * each other large halos never wait on each other.
 */
public final class AeronHaloExchange implements HaloExchange {
    private final Geometry geometry;
    private final HaloReceiver[] receivers;
    private final int[] slotOfTransfer;
    // senders[from][to]; an array, not a map, so a send allocates nothing (no boxed keys).
    private final HaloSender[][] senders;
    private final long receiveTimeoutNs;
    private final AtomicCounter[] waitNs;
    private final AtomicCounter[] bytesFrom;
    private volatile long planVersion;
    private volatile long requestId;
    private Runnable beforeWait = () -> { };
    private Runnable afterWait = () -> { };

    /**
     * @param geometry       the plan on the graph (identical in every process)
     * @param local          subscriptions of the devices that run in this process, by device index
     * @param publicationTo  a publication from local device {@code from} towards device {@code to}'s subscription
     * @param counters       where to count link bytes and waits, or null
     */
    public AeronHaloExchange(Geometry geometry, Map<Integer, Subscription> local,
            BiFunction<Integer, Integer, Publication> publicationTo, TransportContext ctx, WorkerCounters counters) {
        this.geometry = geometry;
        int n = geometry.plan().deviceCount();
        this.receivers = new HaloReceiver[n];
        this.senders = new HaloSender[n][n];
        this.waitNs = new AtomicCounter[n];
        this.bytesFrom = new AtomicCounter[n];
        List<Transfer> transfers = geometry.transfers();
        this.slotOfTransfer = new int[transfers.size()];
        this.receiveTimeoutNs = ctx.receiveTimeoutNs();
        for (Map.Entry<Integer, Subscription> e : local.entrySet()) {
            int d = e.getKey();
            receivers[d] = new HaloReceiver(e.getValue(), TransportNode.waitIdleStrategy(), new SystemNanoClock(),
                    counters == null ? null : counters.dropped(), null);
        }
        for (Transfer t : transfers) {
            slotOfTransfer[t.id()] = -1;
            if (receivers[t.to()] != null) {
                slotOfTransfer[t.id()] = receivers[t.to()].addSlot(t.id(), rowKey(t), rowCount(t), t.bytes());
                if (counters != null && waitNs[t.from()] == null) {
                    waitNs[t.from()] = counters.waitNs(name(t.from()));
                    bytesFrom[t.from()] = counters.bytesReceived(name(t.from()));
                }
            }
            if (receivers[t.from()] != null) {
                if (senders[t.from()][t.to()] == null) {
                    HaloSender s = new HaloSender(publicationTo.apply(t.from(), t.to()), t.from(), TransportNode.waitIdleStrategy(),
                            new SystemNanoClock(), ctx.sendTimeoutNs(), counters == null ? null : counters.bytesSent(name(t.to())));
                    s.whileWaiting(this::pollLocal);
                    senders[t.from()][t.to()] = s;
                }
            }
        }
    }

    private String name(int device) {
        return geometry.plan().devices().get(device);
    }

    // Partial sums of a device with no rows still travel; the frame needs a row count of at least one.
    private static int rowKey(Transfer t) {
        return Math.max(0, t.rowStart());
    }

    private static int rowCount(Transfer t) {
        return Math.max(1, t.rowEnd() - t.rowStart());
    }

    /** Arms every local receiver for request {@code requestId} of plan {@code planVersion}. */
    public void begin(long planVersion, long requestId) {
        this.abortReason = null;
        this.planVersion = planVersion;
        this.requestId = requestId;
        for (HaloReceiver r : receivers) {
            if (r != null) {
                r.begin(planVersion, requestId);
            }
        }
    }

    private volatile String abortReason;

    /** Abandons the current request: receives waiting for it fail now (safe from any thread). */
    public void abort() {
        abort("the request was abandoned");
    }

    /** Abandons the current request, saying why in the error the waiting device gets. */
    public void abort(String reason) {
        abortReason = reason;
        for (HaloReceiver r : receivers) {
            if (r != null) {
                r.abort();
            }
        }
    }

    private int pollLocal() {
        int n = 0;
        for (HaloReceiver r : receivers) {
            if (r != null) {
                n += r.poll(64);
            }
        }
        return n;
    }

    @Override
    public void send(Transfer t, MemorySegment payload) {
        HaloSender s = senders[t.from()][t.to()];
        if (s == null) {
            throw new IllegalArgumentException("device " + t.from() + " does not run in this process");
        }
        long rc = s.send(payload, t.id(), planVersion, requestId, rowKey(t), rowCount(t));
        if (rc != HaloSender.OK) {
            throw new HaloExchangeException("device " + name(t.from()) + " could not send " + t.kind() + " of " + t.value()
                    + " rows " + t.rows() + " to device " + name(t.to()) + ": " + HaloSender.describe(rc));
        }
    }

    @Override
    public void receive(Transfer t, MemorySegment destination) {
        if (!await(t, destination, receiveTimeoutNs, false)) {
            String why = abortReason;
            throw notReceived(t, why != null ? ": " + why : " within "
                    + TimeUnit.NANOSECONDS.toMillis(receiveTimeoutNs) + " ms (is it still running?)");
        }
    }

    @Override
    public boolean tryReceive(Transfer t, MemorySegment destination, long maxWaitNs) {
        boolean ok = await(t, destination, Math.max(0, maxWaitNs), true);
        String why = abortReason;
        if (!ok && why != null) {
            throw notReceived(t, ": " + why);
        }
        return ok;
    }

    /** The error of a transfer that did not come; {@code reason} follows the sender's name. */
    private HaloExchangeException notReceived(Transfer t, String reason) {
        return new HaloExchangeException("device " + name(t.to()) + " did not receive " + t.kind() + " of " + t.value()
                + " rows " + t.rows() + " from device " + name(t.from()) + reason);
    }

    /**
     * Waits up to {@code timeoutNs} for {@code t} to land in {@code destination}, counting the wait and the bytes;
     * {@code keepPartial}: what came of an unfinished transfer is kept for a later receive ({@link HaloReceiver#tryReceive}).
     */
    private boolean await(Transfer t, MemorySegment destination, long timeoutNs, boolean keepPartial) {
        HaloReceiver r = receivers[t.to()];
        int slot = slotOfTransfer[t.id()];
        if (r == null || slot < 0) {
            throw new IllegalArgumentException("device " + t.to() + " does not run in this process");
        }
        long t0 = System.nanoTime();
        boolean ok;
        beforeWait.run();
        try {
            ok = keepPartial ? r.tryReceive(slot, destination, timeoutNs) : r.receive(slot, destination, timeoutNs);
        } finally {
            afterWait.run();
        }
        AtomicCounter w = waitNs[t.from()];
        if (w != null) {
            w.getAndAddOrdered(System.nanoTime() - t0);
            if (ok) {
                bytesFrom[t.from()].getAndAddOrdered(t.bytes());
            }
        }
        return ok;
    }

    /**
     * Runs {@code before} when a local device starts waiting for a transfer and {@code after} when the wait ends
     * (e.g. {@link io.coedge.transport.TransportNode#expect} and {@link io.coedge.transport.TransportNode#expectDone}).
     */
    public void aroundWaits(Runnable before, Runnable after) {
        this.beforeWait = before;
        this.afterWait = after;
    }

    /** Runs {@code action} after each send from a local device (e.g. {@link io.coedge.transport.TransportNode#wakeDriver}). */
    public void afterSend(Runnable action) {
        for (HaloSender[] row : senders) {
            for (HaloSender s : row) {
                if (s != null) {
                    s.afterSend(action);
                }
            }
        }
    }

    /** Runs {@code dutyCycle} while local devices wait for halos (see {@link HaloReceiver#whileWaiting}). */
    public void whileWaiting(java.util.function.IntSupplier dutyCycle) {
        for (HaloReceiver r : receivers) {
            if (r != null) {
                r.whileWaiting(dutyCycle);
            }
        }
    }

    /**
     * Runs the driver's duty cycle in every wait (for a halo, or for back pressure to clear) when the driver runs
     * on the waiting threads ({@link io.coedge.transport.TransportNode#driverDutyCycle}).
     */
    public void driverDutyCycle(java.util.function.IntSupplier dutyCycle) {
        for (HaloReceiver r : receivers) {
            if (r != null) {
                r.driverDutyCycle(dutyCycle);
            }
        }
        for (HaloSender[] row : senders) {
            for (HaloSender s : row) {
                if (s != null) {
                    s.driverDutyCycle(dutyCycle);
                }
            }
        }
    }

    /** Frames dropped by the local receivers (malformed, stale or unexpected). */
    public long droppedFrames() {
        long n = 0;
        for (HaloReceiver r : receivers) {
            if (r != null) {
                n += r.droppedTotal();
            }
        }
        return n;
    }
}
