package io.coedge.transport.halo;

import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.coedge.transport.protocol.FrameCheck;
import io.coedge.transport.protocol.HaloFrame;
import java.lang.foreign.MemorySegment;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Receives halo frames from one subscription straight into the receiver's rows. Each expected halo is a
 * "slot" (a transfer or layer index, a first row, a row count, a size), registered once per plan, either
 * with a fixed destination ({@link #addSlot(int, int, int, MemorySegment)}) or with a destination given
 * when the device asks for it ({@link #receive}). {@link #begin} arms all slots for a request. The
 * fragment handler copies each chunk from the term buffer into the slot's destination: no intermediate
 * array, no allocation per frame. A chunk that arrives before its device asks for it (a neighbour ahead
 * of this device) goes to a staging buffer made once per slot and reused, and is copied on when asked.
 *
 * <p>A frame that fails its own checks, belongs to an older request, or names rows nobody expects is
 * dropped and counted. A frame for a <em>newer</em> request or plan (a fast neighbour already on the next
 * one) is left in the log ({@code ABORT}) and delivered again once this receiver has begun that request.
 * Not thread-safe: owned by the device's thread.
 */
public final class HaloReceiver implements ControlledFragmentHandler {
    private final Subscription subscription;
    private final IdleStrategy idle;
    private final NanoClock clock;
    private final HaloFrame frame = new HaloFrame();
    private final AtomicCounter dropped;
    private final AtomicCounter bytesReceived;
    private final long[] droppedByReason = new long[FrameCheck.values().length];

    private int[] slotLayer = new int[8];
    private int[] slotRow = new int[8];
    private int[] slotRows = new int[8];
    private long[] slotBytes = new long[8];
    private long[] slotReceived = new long[8];
    private UnsafeBuffer[] slotDest = new UnsafeBuffer[8];
    private boolean[] slotFixed = new boolean[8];
    private boolean[] slotActive = new boolean[8];
    private UnsafeBuffer[] slotStaging = new UnsafeBuffer[8];
    private int slotCount;
    private int lastSlot;

    private volatile boolean aborted;
    private java.util.function.IntSupplier whileWaiting = () -> 0;
    private java.util.function.IntSupplier driverDuty = () -> 0;
    private long planVersion = Long.MIN_VALUE;
    private long requestId = Long.MIN_VALUE;

    /**
     * @param dropped counter of dropped frames, or null
     * @param bytesReceived counter of accepted payload bytes, or null
     */
    public HaloReceiver(Subscription subscription, IdleStrategy idle, NanoClock clock, AtomicCounter dropped,
            AtomicCounter bytesReceived) {
        this.subscription = subscription;
        this.idle = idle;
        this.clock = clock;
        this.dropped = dropped;
        this.bytesReceived = bytesReceived;
    }

    /** Forgets every slot (a new plan). */
    public void clearSlots() {
        for (int i = 0; i < slotCount; i++) {
            slotDest[i] = null;
            slotStaging[i] = null;
        }
        slotCount = 0;
        lastSlot = 0;
    }

    /**
     * Registers a halo with a fixed destination: rows {@code [rowOffset, rowOffset + rowCount)} of
     * {@code index} (a layer or transfer index) land in {@code dest} (exactly their bytes, off-heap).
     * Returns the slot index.
     */
    public int addSlot(int index, int rowOffset, int rowCount, MemorySegment dest) {
        if (!dest.isNative()) {
            throw new IllegalArgumentException("halo destination must be off-heap");
        }
        int s = addSlot(index, rowOffset, rowCount, dest.byteSize());
        slotDest[s].wrap(dest.address(), (int) dest.byteSize());
        slotFixed[s] = true;
        return s;
    }

    /**
     * Registers a halo whose destination is given later, by {@link #receive}. Returns the slot index.
     */
    public int addSlot(int index, int rowOffset, int rowCount, long bytes) {
        if (bytes > Integer.MAX_VALUE || bytes < 0 || rowCount <= 0) {
            throw new IllegalArgumentException("a halo needs at least one row and under 2 GiB, got " + rowCount + " rows, "
                    + bytes + " bytes");
        }
        for (int i = 0; i < slotCount; i++) {
            if (slotLayer[i] == index && slotRow[i] == rowOffset) {
                throw new IllegalArgumentException("two halos registered for index " + index + " row " + rowOffset);
            }
        }
        if (slotCount == slotLayer.length) {
            int n = slotCount * 2;
            slotLayer = java.util.Arrays.copyOf(slotLayer, n);
            slotRow = java.util.Arrays.copyOf(slotRow, n);
            slotRows = java.util.Arrays.copyOf(slotRows, n);
            slotBytes = java.util.Arrays.copyOf(slotBytes, n);
            slotReceived = java.util.Arrays.copyOf(slotReceived, n);
            slotDest = java.util.Arrays.copyOf(slotDest, n);
            slotFixed = java.util.Arrays.copyOf(slotFixed, n);
            slotActive = java.util.Arrays.copyOf(slotActive, n);
            slotStaging = java.util.Arrays.copyOf(slotStaging, n);
        }
        int s = slotCount++;
        slotLayer[s] = index;
        slotRow[s] = rowOffset;
        slotRows[s] = rowCount;
        slotBytes[s] = bytes;
        slotReceived[s] = 0;
        slotDest[s] = new UnsafeBuffer(0, 0);
        slotFixed[s] = false;
        slotActive[s] = false;
        slotStaging[s] = null;
        return s;
    }

    /** The slot registered for {@code index} and {@code rowOffset}, or -1. */
    public int slotOf(int index, int rowOffset) {
        return find(index, rowOffset);
    }

    /**
     * Receives slot {@code slot} of the current request into {@code dest} (exactly its bytes, off-heap):
     * whatever arrived early is copied from staging, the rest lands directly. Returns false if it did not
     * complete within {@code timeoutNs}.
     */
    public boolean receive(int slot, MemorySegment dest, long timeoutNs) {
        return receiveInto(slot, dest, timeoutNs, false);
    }

    /**
     * Receives slot {@code slot} into {@code dest} as {@link #receive} does if it completes within {@code timeoutNs}
     * (0: with what one duty cycle of the driver and one poll bring). Otherwise returns false and keeps what arrived
     * for a later {@code receive} or {@code tryReceive} of the slot: the part that landed in {@code dest} is copied
     * to the slot's staging buffer, where the rest will land until then.
     */
    public boolean tryReceive(int slot, MemorySegment dest, long timeoutNs) {
        return receiveInto(slot, dest, timeoutNs, true);
    }

    private boolean receiveInto(int slot, MemorySegment dest, long timeoutNs, boolean keepPartial) {
        if (slotFixed[slot] || dest.byteSize() != slotBytes[slot] || !dest.isNative()) {
            throw new IllegalArgumentException("slot " + slot + " takes " + slotBytes[slot] + " bytes off-heap, got "
                    + dest.byteSize());
        }
        if (keepPartial && !complete(slot)) {
            driverDuty.getAsInt();
        }
        UnsafeBuffer d = slotDest[slot];
        d.wrap(dest.address(), (int) dest.byteSize());
        long early = slotReceived[slot];
        if (early > 0) {
            // One sender per halo and Aeron keeps its order, so what arrived early is a prefix.
            d.putBytes(0, slotStaging[slot], 0, (int) early);
        }
        slotActive[slot] = true;
        boolean done = false;
        try {
            done = await(slot, timeoutNs);
            return done;
        } finally {
            slotActive[slot] = false;
            long got = slotReceived[slot];
            if (keepPartial && !done && got > early) {
                if (slotStaging[slot] == null) {
                    slotStaging[slot] = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect((int) slotBytes[slot]));
                }
                slotStaging[slot].putBytes((int) early, d, (int) early, (int) (got - early));
            }
            d.wrap(0, 0);
        }
    }

    /** Arms every slot for request {@code requestId} of plan {@code planVersion}; requests only move forward. */
    public void begin(long planVersion, long requestId) {
        this.planVersion = planVersion;
        this.requestId = requestId;
        this.aborted = false;
        for (int i = 0; i < slotCount; i++) {
            slotReceived[i] = 0;
        }
    }

    /**
     * Makes waits of the current request give up at once (safe from any thread): the request was abandoned,
     * e.g. a new plan replaced it after a device was lost.
     */
    public void abort() {
        aborted = true;
    }

    /**
     * Work to do while waiting for a halo, e.g. the coordinator polling its control replies to notice a device
     * that went silent (and {@link #abort} the wait) long before the receive timeout.
     */
    public void whileWaiting(java.util.function.IntSupplier dutyCycle) {
        this.whileWaiting = dutyCycle;
    }

    /**
     * The driver's duty cycle, run while waiting when the driver runs on the waiting threads
     * ({@link io.coedge.transport.TransportNode#driverDutyCycle}): it takes the awaited frames off the socket.
     */
    public void driverDutyCycle(java.util.function.IntSupplier dutyCycle) {
        this.driverDuty = dutyCycle;
    }

    /** Polls once; returns the number of fragments handled. */
    public int poll(int fragmentLimit) {
        return subscription.controlledPoll(this, fragmentLimit);
    }

    /** True once all bytes of {@code slot} arrived for the current request. */
    public boolean complete(int slot) {
        return slotReceived[slot] == slotBytes[slot];
    }

    /**
     * Polls until {@code slot} is complete or {@code timeoutNs} passed; returns whether it completed. Never
     * waits longer than the timeout.
     */
    public boolean await(int slot, long timeoutNs) {
        if (complete(slot)) {
            return true;
        }
        long deadline = clock.nanoTime() + timeoutNs;
        idle.reset();
        while (!complete(slot)) {
            int n = poll(64);
            if (n == 0) {
                if (clock.nanoTime() - deadline > 0 || aborted) {
                    return false;
                }
                idle.idle(driverDuty.getAsInt() + whileWaiting.getAsInt());
            }
        }
        return true;
    }

    @Override
    public Action onFragment(DirectBuffer buffer, int offset, int length, Header header) {
        frame.wrap(buffer, offset);
        FrameCheck check = frame.check(length);
        if (check != FrameCheck.OK) {
            return drop(check);
        }
        long pv = frame.planVersion();
        long rq = frame.requestId();
        if (pv > planVersion || (pv == planVersion && rq > requestId)) {
            return Action.ABORT;
        }
        if (pv < planVersion || rq < requestId) {
            return drop(FrameCheck.STALE);
        }
        int s = find(frame.layerIndex(), frame.rowOffset());
        if (s < 0 || slotRows[s] != frame.rowCount() || slotBytes[s] != frame.totalBytes()) {
            return drop(FrameCheck.UNEXPECTED);
        }
        int chunk = frame.chunkLength();
        if (slotReceived[s] + chunk > slotBytes[s]) {
            return drop(FrameCheck.UNEXPECTED);
        }
        UnsafeBuffer into;
        if (slotFixed[s] || slotActive[s]) {
            into = slotDest[s];
        } else {
            if (slotStaging[s] == null) {
                slotStaging[s] = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect((int) slotBytes[s]));
            }
            into = slotStaging[s];
        }
        into.putBytes((int) frame.byteOffset(), buffer, frame.payloadOffset(), chunk);
        slotReceived[s] += chunk;
        if (bytesReceived != null) {
            bytesReceived.getAndAddOrdered(chunk);
        }
        return Action.CONTINUE;
    }

    private int find(int layer, int row) {
        for (int k = 0; k < slotCount; k++) {
            int i = lastSlot + k;
            if (i >= slotCount) {
                i -= slotCount;
            }
            if (slotLayer[i] == layer && slotRow[i] == row) {
                lastSlot = i;
                return i;
            }
        }
        return -1;
    }

    private Action drop(FrameCheck why) {
        droppedByReason[why.ordinal()]++;
        if (dropped != null) {
            dropped.incrementOrdered();
        }
        return Action.CONTINUE;
    }

    /** Frames dropped for {@code why} since this receiver was made. */
    public long dropped(FrameCheck why) {
        return droppedByReason[why.ordinal()];
    }

    /** All frames dropped since this receiver was made. */
    public long droppedTotal() {
        long t = 0;
        for (long d : droppedByReason) {
            t += d;
        }
        return t;
    }

    public Subscription subscription() {
        return subscription;
    }
}
