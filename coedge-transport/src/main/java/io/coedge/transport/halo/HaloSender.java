package io.coedge.transport.halo;

import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.coedge.transport.protocol.HaloFrame;
import java.lang.foreign.MemorySegment;
import java.util.function.IntSupplier;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Sends halo rows from an off-heap feature map into one publication, with no intermediate copy: each chunk
 * is claimed in the term buffer ({@code tryClaim}), the header written in place and the rows copied from
 * the segment's memory. Allocates nothing per send. Not thread-safe: one per sending thread and link.
 *
 * <p>Back pressure and a missing subscriber are waited out with the idle strategy up to the send timeout,
 * then reported as a value ({@link #TIMEOUT_NOT_CONNECTED}, {@link #TIMEOUT_BACK_PRESSURED}); a closed
 * publication is {@link #CLOSED}.
 */
public final class HaloSender {
    /** The halo went out completely. */
    public static final long OK = 0;
    /** No subscriber connected within the send timeout. */
    public static final long TIMEOUT_NOT_CONNECTED = -1;
    /** The receiver did not keep up within the send timeout. */
    public static final long TIMEOUT_BACK_PRESSURED = -2;
    /** The publication was closed or reached its maximum position. */
    public static final long CLOSED = -3;

    private final Publication publication;
    private final int senderId;
    private final IdleStrategy idle;
    private final NanoClock clock;
    private final long timeoutNs;
    private final int maxChunk;
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer source = new UnsafeBuffer(0, 0);
    private final AtomicCounter bytesSent;
    private IntSupplier whileWaiting = () -> 0;
    private IntSupplier driverDuty = () -> 0;
    private Runnable afterSend = () -> { };

    /**
     * @param bytesSent counter of payload bytes sent on this link, or null
     */
    public HaloSender(Publication publication, int senderId, IdleStrategy idle, NanoClock clock, long timeoutNs,
            AtomicCounter bytesSent) {
        this.publication = publication;
        this.senderId = senderId;
        this.idle = idle;
        this.clock = clock;
        this.timeoutNs = timeoutNs;
        this.maxChunk = publication.maxPayloadLength() - HaloFrame.HEADER_LENGTH;
        this.bytesSent = bytesSent;
        if (maxChunk < 64) {
            throw new IllegalArgumentException("publication payload of " + publication.maxPayloadLength()
                    + " bytes is too small for halo frames; raise the MTU");
        }
    }

    /**
     * Work to do while this sender waits for back pressure to clear, typically polling this device's own
     * halo receiver. Two neighbours that send each other halos larger than the publication window would
     * otherwise wait on each other forever; polling while waiting drains the peer's frames so both progress.
     */
    public HaloSender whileWaiting(IntSupplier dutyCycle) {
        this.whileWaiting = dutyCycle;
        return this;
    }

    /** The driver's duty cycle, run while waiting when the driver runs on this thread (it drains the publication). */
    public HaloSender driverDutyCycle(IntSupplier dutyCycle) {
        this.driverDuty = dutyCycle;
        return this;
    }

    /** Runs {@code action} after each complete send, e.g. {@link io.coedge.transport.TransportNode#wakeDriver}. */
    public HaloSender afterSend(Runnable action) {
        this.afterSend = action;
        return this;
    }

    /** Largest payload per frame. */
    public int maxChunkBytes() {
        return maxChunk;
    }

    public Publication publication() {
        return publication;
    }

    /**
     * Sends {@code rows}, the NHWC rows {@code [rowOffset, rowOffset + rowCount)} of layer {@code layerIndex},
     * in chunks. Returns {@link #OK} or a negative code.
     */
    public long send(MemorySegment rows, int layerIndex, long planVersion, long requestId, int rowOffset, int rowCount) {
        if (!rows.isNative()) {
            throw new IllegalArgumentException("halo rows must be off-heap (a Tensor segment)");
        }
        long total = rows.byteSize();
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("halo of " + total + " bytes is larger than 2 GiB");
        }
        source.wrap(rows.address(), (int) total);
        long at = 0;
        do {
            int chunk = (int) Math.min(maxChunk, total - at);
            long rc = claim(HaloFrame.HEADER_LENGTH + chunk);
            if (rc < 0) {
                return rc;
            }
            MutableDirectBuffer b = claim.buffer();
            int o = claim.offset();
            HaloFrame.writeHeader(b, o, senderId, layerIndex, planVersion, requestId, rowOffset, rowCount, total, at, chunk);
            b.putBytes(o + HaloFrame.HEADER_LENGTH, source, (int) at, chunk);
            claim.commit();
            at += chunk;
        } while (at < total);
        if (bytesSent != null) {
            bytesSent.getAndAddOrdered(total);
        }
        afterSend.run();
        return OK;
    }

    private long claim(int length) {
        long deadline = clock.nanoTime() + timeoutNs;
        idle.reset();
        while (true) {
            long r = publication.tryClaim(length, claim);
            if (r > 0) {
                return r;
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                return CLOSED;
            }
            if (clock.nanoTime() - deadline > 0) {
                return r == Publication.NOT_CONNECTED ? TIMEOUT_NOT_CONNECTED : TIMEOUT_BACK_PRESSURED;
            }
            idle.idle(driverDuty.getAsInt() + whileWaiting.getAsInt());
        }
    }

    /** A message for a negative result of {@link #send}. */
    public static String describe(long code) {
        if (code == TIMEOUT_NOT_CONNECTED) {
            return "no receiver connected within the send timeout";
        }
        if (code == TIMEOUT_BACK_PRESSURED) {
            return "receiver did not keep up within the send timeout (back pressure)";
        }
        if (code == CLOSED) {
            return "publication closed";
        }
        return code >= 0 ? "ok" : "error " + code;
    }
}
