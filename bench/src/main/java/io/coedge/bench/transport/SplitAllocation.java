package io.coedge.bench.transport;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes each thread allocates per split inference: {@link PartitionedInferenceBenchmark}'s setup (the initiator
 * and two workers in this JVM, UDP over loopback), warmed up, then {@code n} inferences between two readings of the
 * JVM's per-thread allocation counters. Where JMH's {@code -prof gc} gives one total that also holds JMH's own
 * threads and the time-driven heartbeats, this tells the initiator's, the workers' compute threads', control loops'
 * and media drivers' apart.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
 * --sun-misc-unsafe-memory-access=allow -Dcoedge.threads=1 -cp bench/target/benchmarks.jar
 * io.coedge.bench.transport.SplitAllocation [model] [inferences]}
 */
public final class SplitAllocation {
    private SplitAllocation() {
    }

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "resnet18";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        PartitionedInferenceBenchmark bench = new PartitionedInferenceBenchmark();
        bench.model = model;
        bench.setup();
        try {
            for (int i = 0; i < Math.max(100, n / 2); i++) {
                bench.infer();
            }
            ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            Map<Long, String> names = new HashMap<>();
            Map<Long, Long> before = new HashMap<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                names.put(t.threadId(), t.getName());
                before.put(t.threadId(), mx.getThreadAllocatedBytes(t.threadId()));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                bench.infer();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%s, %d inferences in %.1f s, coedge.threads=%s%n", model, n, seconds,
                    System.getProperty("coedge.threads", "(default)"));
            System.out.printf(Locale.ROOT, "%-40s %14s %12s%n", "thread", "B/inference", "B/s");
            for (Map.Entry<Long, Long> e : before.entrySet()) {
                long bytes = mx.getThreadAllocatedBytes(e.getKey()) - e.getValue();
                if (bytes > 0) {
                    System.out.printf(Locale.ROOT, "%-40s %14.1f %12.0f%n", names.get(e.getKey()), bytes / (double) n,
                            bytes / seconds);
                }
            }
        } finally {
            bench.tearDown();
        }
    }
}
