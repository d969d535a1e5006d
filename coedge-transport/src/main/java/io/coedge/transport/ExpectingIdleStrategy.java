package io.coedge.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;

/**
 * The embedded driver's idle strategy: the configured, relaxed one (park 1 ms by default) while nobody in the
 * process waits for a message, and polling that backs off with the wait while a thread waits for a halo or a
 * gathered map: spin for the first {@value #SPIN_MICROS} µs of the wait, then park an eighth of the time waited so
 * far, up to the relaxed strategy's 1 ms.
 *
 * <p>Why: a receiving driver that sleeps 1 ms between polls adds up to that to every frame it is the last hop
 * of; one that polls every few microseconds all the time takes a few percent of a core from the computing
 * threads. A halo is usually due within microseconds of the wait's start (the device computed its interior rows
 * first) and is then taken off the socket at once; a long wait (the initiator waiting for the gather through
 * a whole inference) costs a few dozen wake-ups and delays its frame by at most an eighth of the wait.
 */
public final class ExpectingIdleStrategy implements IdleStrategy {
    /** Spinning phase at the start of a wait. */
    public static final long SPIN_MICROS = 50;
    private static final long SPIN_NS = TimeUnit.MICROSECONDS.toNanos(SPIN_MICROS);
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /** How many threads of a process wait for a message, and since when the first of them waits. */
    public static final class Expectation {
        private final AtomicInteger waiters = new AtomicInteger();
        private volatile long sinceNs;

        /** A wait begins; true when it is the only one (the caller then wakes the driver). */
        public boolean begin() {
            if (waiters.get() == 0) {
                sinceNs = System.nanoTime();
            }
            return waiters.getAndIncrement() == 0;
        }

        /** A wait ends. */
        public void end() {
            waiters.decrementAndGet();
        }

        /** Nanoseconds since the current wait began, or -1 when nobody waits. */
        long waitedNs() {
            return waiters.get() > 0 ? System.nanoTime() - sinceNs : -1;
        }
    }

    private final IdleStrategy relaxed;
    private final Expectation expectation;
    /** Timer slack while nobody waits: half the relaxed strategy's default park ({@link TimerSlack}). */
    static final long RELAXED_SLACK_NS = 512_000;

    public ExpectingIdleStrategy(IdleStrategy relaxed, Expectation expectation) {
        this.relaxed = relaxed;
        this.expectation = expectation;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            relaxed.reset();
            return;
        }
        idle();
    }

    @Override
    public void idle() {
        long waited = expectation.waitedNs();
        if (waited < 0) {
            TimerSlack.use(RELAXED_SLACK_NS);
            relaxed.idle();
        } else if (waited < SPIN_NS) {
            Thread.onSpinWait();
        } else {
            long park = Math.min(MAX_PARK_NS, waited >> 3);
            TimerSlack.use(TimerSlack.forPark(park));
            LockSupport.parkNanos(park);
        }
    }

    @Override
    public void reset() {
        relaxed.reset();
    }

    @Override
    public String alias() {
        return "expecting(" + relaxed.alias() + ")";
    }
}
