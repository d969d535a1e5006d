package io.coedge.partition;

import java.lang.foreign.MemorySegment;

/**
 * Moves the bytes of {@link Transfer}s between devices. The partitioned runtime calls it; core never
 * knows how the bytes travel (in-process copy, Aeron IPC or UDP).
 *
 * <p>Zero copy by construction: feature maps are NHWC, so the rows of a transfer are one contiguous
 * byte range. The sender passes a slice of its own map; the receiver passes the slice of its buffer
 * where the rows belong (its halo rows), and the implementation writes the payload straight there.
 *
 * <p>Ordering: a device calls {@code send} for the rows its neighbours need as soon as it has computed
 * them, computes its other rows, and only then calls {@code receive} for the halos of its next layer.
 * {@code receive} may therefore block. Where one kernel call over its whole band would be cheaper, a device
 * may first {@link #tryReceive} a layer's halos for a short while, and compute its other rows first only if
 * they are not in by then. Every transfer of {@link Geometry#transfers()} is sent exactly
 * once and received exactly once per inference; transfer ids are unique within an inference
 * (an implementation that overlaps inferences must tag messages with its own sequence number).
 *
 * <p>Order: a device sends its transfers in ascending id order, and receives the transfers of any one
 * sender in ascending id order too (the order that sender sent them). An implementation may therefore
 * deliver each sender's messages strictly in order, writing each straight into the destination the
 * receiver passes, with no staging: e.g. Aeron {@code controlledPoll} on the sender's image,
 * {@code ABORT} for a fragment that belongs to a later transfer than the one awaited. Different
 * senders' messages may interleave freely.
 *
 * <p>Implementations are used by one thread per device: {@code send} and {@code receive} for device
 * {@code d} are only called from the thread running device {@code d}, but different devices may run on
 * different threads at once.
 */
public interface HaloExchange {
    /**
     * Sends the payload of {@code t} from device {@code t.from()}. {@code payload} is exactly
     * {@code t.bytes()} bytes. When this returns the implementation no longer reads {@code payload}
     * (the sender may overwrite or free it); it may return before the receiver has the bytes.
     */
    void send(Transfer t, MemorySegment payload);

    /**
     * Receives the payload of {@code t} on device {@code t.to()}, writing exactly {@code t.bytes()}
     * bytes into {@code destination}; returns once they are there.
     *
     * @throws HaloExchangeException when the message does not arrive (timeout, peer gone)
     */
    void receive(Transfer t, MemorySegment destination);

    /**
     * Receives {@code t} as {@link #receive} does if it completes within {@code maxWaitNs} (0: only if it is
     * already there), and returns true; otherwise returns false, and {@code t} is still to be received by a
     * later {@code receive} or {@code tryReceive} into the same {@code destination} (which may by then hold part
     * of it). The default receives nothing: an exchange that cannot tell always returns false.
     *
     * @throws HaloExchangeException when the message can no longer arrive (peer gone, request abandoned)
     */
    default boolean tryReceive(Transfer t, MemorySegment destination, long maxWaitNs) {
        return false;
    }
}
