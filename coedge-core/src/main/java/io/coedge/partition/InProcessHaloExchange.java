package io.coedge.partition;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Devices inside one JVM. {@code send} copies the payload into a mailbox slot owned by the transfer;
 * {@code receive} copies it into the receiver's rows. Works for devices stepped one after another
 * (where every receive must find its message already sent) and for devices on their own threads
 * (where receive waits, up to a timeout).
 *
 * <p>Mailbox slots are allocated once per transfer, at construction, and reused for every inference.
 */
public final class InProcessHaloExchange implements HaloExchange, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] slots;
    private final AtomicReferenceArray<Boolean> full;
    private final long timeoutNs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();

    /**
     * @param transfers the transfers to carry ({@link Geometry#transfers()})
     * @param timeoutNs how long a receive waits for its message; 0 means the message must already be
     *                  there (devices stepped in order on one thread)
     */
    public InProcessHaloExchange(java.util.List<Transfer> transfers, long timeoutNs) {
        this.slots = new MemorySegment[transfers.size()];
        for (Transfer t : transfers) {
            slots[t.id()] = arena.allocate(Math.max(1, t.bytes()), 64).asSlice(0, t.bytes());
        }
        this.full = new AtomicReferenceArray<>(transfers.size());
        this.timeoutNs = timeoutNs;
    }

    @Override
    public void send(Transfer t, MemorySegment payload) {
        check(t, payload);
        if (Boolean.TRUE.equals(full.get(t.id()))) {
            throw new HaloExchangeException("transfer " + t.id() + " (" + t.kind() + " of " + t.value()
                    + " from device " + t.from() + " to " + t.to() + ") sent twice without being received");
        }
        MemorySegment.copy(payload, 0, slots[t.id()], 0, t.bytes());
        lock.lock();
        try {
            full.set(t.id(), Boolean.TRUE);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void receive(Transfer t, MemorySegment destination) {
        check(t, destination);
        if (!Boolean.TRUE.equals(full.get(t.id()))) {
            await(t, timeoutNs, true);
        }
        take(t, destination);
    }

    @Override
    public boolean tryReceive(Transfer t, MemorySegment destination, long maxWaitNs) {
        check(t, destination);
        if (!Boolean.TRUE.equals(full.get(t.id())) && (maxWaitNs <= 0 || !await(t, Math.min(maxWaitNs, timeoutNs), false))) {
            return false;
        }
        take(t, destination);
        return true;
    }

    /** Copies the arrived payload of {@code t} out and frees its slot for the next inference. */
    private void take(Transfer t, MemorySegment destination) {
        MemorySegment.copy(slots[t.id()], 0, destination, 0, t.bytes());
        full.set(t.id(), Boolean.FALSE);
    }

    /** Waits up to {@code waitNs} for {@code t}; false when it did not come and {@code fail} is false. */
    private boolean await(Transfer t, long waitNs, boolean fail) {
        long deadline = System.nanoTime() + waitNs;
        lock.lock();
        try {
            while (!Boolean.TRUE.equals(full.get(t.id()))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (!fail) {
                        return false;
                    }
                    throw new HaloExchangeException("device " + t.to() + " did not receive transfer " + t.id()
                            + " (" + t.kind() + " rows " + t.rows() + " of " + t.value() + " from device " + t.from()
                            + ")" + (timeoutNs == 0 ? ": it was not sent before it was needed" : " within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms"));
                }
                arrived.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HaloExchangeException("interrupted while waiting for transfer " + t.id(), e);
        } finally {
            lock.unlock();
        }
    }

    private void check(Transfer t, MemorySegment segment) {
        if (t.id() < 0 || t.id() >= slots.length || slots[t.id()].byteSize() != t.bytes()) {
            throw new IllegalArgumentException("transfer " + t.id() + " is not part of this exchange's geometry");
        }
        if (segment.byteSize() != t.bytes()) {
            throw new IllegalArgumentException("transfer " + t.id() + " carries " + t.bytes() + " bytes, segment has "
                    + segment.byteSize());
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
