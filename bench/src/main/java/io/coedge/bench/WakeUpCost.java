package io.coedge.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * What one wake-up of a polling thread costs on this machine: a thread parks for a fixed time again and again
 * ({@link LockSupport#parkNanos}, as the transport's idle strategies do), and its own CPU time is divided by the
 * number of wake-ups. {@code idle}: nothing else runs. {@code busy}: a thread of this process spins meanwhile, so
 * that under {@code taskset -c 0} every wake-up takes the core from it, as a worker's control loop takes it from
 * the compute thread on a board with a core per device.
 *
 * <p>Every idle thread of a CoEdge process (a waiting initiator, a control loop, an embedded media driver) wakes a
 * few hundred to a thousand times a second, so this figure times those rates is the CPU they take from the
 * devices. It depends on the machine far more than on the code: in a virtual machine a wake-up costs the timer's
 * exits to the hypervisor too.
 *
 * <p>Run: {@code taskset -c 0 java -cp bench/target/benchmarks.jar io.coedge.bench.WakeUpCost [parkMicros,...]
 * [seconds]}.
 */
public final class WakeUpCost {
    private WakeUpCost() {
    }

    public static void main(String[] args) throws InterruptedException {
        String[] parks = (args.length > 0 ? args[0] : "1000,100").split(",");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("seconds must be positive, got " + args[1]);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM cannot read a thread's CPU time");
        }
        System.out.printf(Locale.ROOT, "%-6s %10s %12s %16s%n", "other", "park us", "wake-ups/s", "cpu per wake us");
        for (String other : new String[] {"idle", "busy"}) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread spinner = null;
            if (other.equals("busy")) {
                spinner = Thread.ofPlatform().name("spinner").start(() -> {
                    while (!stop.get()) {
                        Thread.onSpinWait();
                    }
                });
            }
            try {
                for (String p : parks) {
                    long parkNs = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(p.trim()));
                    if (parkNs < 1) {
                        throw new IllegalArgumentException("park must be at least 1 µs, got " + p);
                    }
                    measure(mx, parkNs, (long) (seconds * 0.25e9)); // warm-up
                    double[] r = measure(mx, parkNs, (long) (seconds * 1e9));
                    System.out.printf(Locale.ROOT, "%-6s %10d %12.0f %16.1f%n", other, parkNs / 1000, r[0], r[1]);
                }
            } finally {
                stop.set(true);
                if (spinner != null) {
                    spinner.join();
                }
            }
        }
    }

    /** Wake-ups per second and CPU microseconds per wake-up of the calling thread, parking {@code parkNs} at a time. */
    private static double[] measure(ThreadMXBean mx, long parkNs, long forNs) {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long n = 0;
        long elapsed;
        do {
            LockSupport.parkNanos(parkNs);
            n++;
            elapsed = System.nanoTime() - t0;
        } while (elapsed < forNs);
        long cpu = mx.getCurrentThreadCpuTime() - cpu0;
        return new double[] {n * 1e9 / elapsed, cpu / 1e3 / n};
    }
}
