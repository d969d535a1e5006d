package io.coedge.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

/**
 * Spins, yields, then parks for a fraction of the time already spent idle, up to a maximum: a short wait
 * (a halo due any microsecond) is answered within microseconds, a long one (a driver thread between two
 * layers, the initiator waiting for the gather) wakes rarely. The park after {@code t} ns of idling is
 * {@code clamp(t / 8, minParkNs, maxParkNs)}, so oversleeping costs at most about an eighth of the wait, and
 * never more than {@code maxParkNs}. Parks of {@value TimerSlack#MIN_PARK_NS} ns or more get half their length as
 * timer slack ({@link TimerSlack}), so that the kernel can end them together with other threads' wake-ups.
 *
 * <p>Why: on a board with as many compute threads as cores, every idle thread that wakes ten thousand times a
 * second (a fixed 100 µs park) takes a few percent of a core from the computing threads; three media driver
 * threads, a control loop and a waiting initiator added up to a tenth of this machine's two cores.
 */
public final class AdaptiveIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int maxYields;
    private final NanoClock clock;
    private final long minParkNs;
    private final long maxParkNs;
    private int spins;
    private int yields;
    private long idleSinceNs;
    private boolean idling;

    /** Parks between {@code minParkNs} and {@code maxParkNs} once spinning and yielding found no work. */
    public AdaptiveIdleStrategy(long minParkNs, long maxParkNs) {
        this(System::nanoTime, 20, 50, minParkNs, maxParkNs);
    }

    /**
     * Spins {@code maxSpins} times, then yields {@code maxYields} times, then parks between {@code minParkNs}
     * and {@code maxParkNs}.
     */
    public AdaptiveIdleStrategy(int maxSpins, int maxYields, long minParkNs, long maxParkNs) {
        this(System::nanoTime, maxSpins, maxYields, minParkNs, maxParkNs);
    }

    AdaptiveIdleStrategy(NanoClock clock, int maxSpins, int maxYields, long minParkNs, long maxParkNs) {
        this.clock = clock;
        if (maxSpins < 0 || maxYields < 0) {
            throw new IllegalArgumentException("spins and yields must not be negative");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        if (minParkNs < 1 || maxParkNs < minParkNs) {
            throw new IllegalArgumentException("park bounds must satisfy 1 <= min <= max, got " + minParkNs + ", " + maxParkNs);
        }
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
    }

    /** 1 µs to 1 ms. */
    public static AdaptiveIdleStrategy standard() {
        return new AdaptiveIdleStrategy(TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    public long maxParkNs() {
        return maxParkNs;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (!idling) {
            idling = true;
            idleSinceNs = clock.nanoTime();
        }
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            long park = parkNs();
            TimerSlack.use(TimerSlack.forPark(park));
            LockSupport.parkNanos(park);
        }
    }

    /** How long the next park lasts, given the time idle since the last work (or {@link #reset}). */
    long parkNs() {
        long idleNs = clock.nanoTime() - idleSinceNs;
        return Math.min(maxParkNs, Math.max(minParkNs, idleNs >> 3));
    }

    @Override
    public void reset() {
        idling = false;
        spins = 0;
        yields = 0;
        // the thread may be an application's: what it sleeps for otherwise gets the usual precision back
        TimerSlack.use(TimerSlack.DEFAULT_NS);
    }

    @Override
    public String alias() {
        return "adaptive";
    }
}
