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
 * Receives halo frames from one subscription straight into registered destination rows. Destinations
 * ("slots": a layer, a first row, a row count, an off-heap segment) are registered once per plan;
 * {@link #begin} arms them for a request. The fragment handler copies each chunk from the term buffer into
 * its slot's memory: no intermediate array and no allocation per frame.
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
    private int slotCount;
    private int lastSlot;

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
        }
        slotCount = 0;
        lastSlot = 0;
    }

    /**
     * Registers the destination of a halo: rows {@code [rowOffset, rowOffset + rowCount)} of layer
     * {@code layerIndex} land in {@code dest} (exactly their bytes, off-heap). Returns the slot index.
     */
    public int addSlot(int layerIndex, int rowOffset, int rowCount, MemorySegment dest) {
        if (!dest.isNative() || dest.byteSize() > Integer.MAX_VALUE || rowCount <= 0) {
            throw new IllegalArgumentException("halo destination must be off-heap, under 2 GiB, with at least one row");
        }
        for (int i = 0; i < slotCount; i++) {
            if (slotLayer[i] == layerIndex && slotRow[i] == rowOffset) {
                throw new IllegalArgumentException("two halos registered for layer " + layerIndex + " row " + rowOffset);
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
        }
        int s = slotCount++;
        slotLayer[s] = layerIndex;
        slotRow[s] = rowOffset;
        slotRows[s] = rowCount;
        slotBytes[s] = dest.byteSize();
        slotReceived[s] = 0;
        slotDest[s] = new UnsafeBuffer(dest.address(), (int) dest.byteSize());
        return s;
    }

    /** Arms every slot for request {@code requestId} of plan {@code planVersion}; requests only move forward. */
    public void begin(long planVersion, long requestId) {
        this.planVersion = planVersion;
        this.requestId = requestId;
        for (int i = 0; i < slotCount; i++) {
            slotReceived[i] = 0;
        }
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
                if (clock.nanoTime() - deadline > 0) {
                    return false;
                }
                idle.idle(n);
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
        slotDest[s].putBytes((int) frame.byteOffset(), buffer, frame.payloadOffset(), chunk);
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
