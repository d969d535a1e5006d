package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The pool hands out every index of a run once, run after run, on the two jobs it reuses in turn. */
class WorkerPoolTest {

    private static WorkerPool sharedPoolWithHelpers() {
        WorkerPool pool = WorkerPool.shared();
        Assumptions.assumeTrue(pool.threads() > 1,
                "the kernel pool has one thread here (coedge.threads=1): nothing is handed out");
        return pool;
    }

    @Test
    void runAfterRunEveryIndexRunsExactlyOnce() {
        WorkerPool pool = sharedPoolWithHelpers();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 2_000; round++) {
                int count = 1 + round % 13;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                pool.run(count, hits::incrementAndGet);
                for (int i = 0; i < count; i++) {
                    assertThat(hits.get(i)).as("round %d index %d", round, i).isEqualTo(1);
                }
            }
        });
    }

    /** A nested run on the thread that owns the pool must not reuse the job of the run it is part of. */
    @Test
    void aTaskThatRunsThePoolAgainLosesNoTaskOfEitherRun() {
        WorkerPool pool = sharedPoolWithHelpers();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < 300; round++) {
                AtomicIntegerArray outer = new AtomicIntegerArray(8);
                AtomicIntegerArray inner = new AtomicIntegerArray(8 * 4);
                pool.run(8, i -> {
                    outer.incrementAndGet(i);
                    pool.run(4, k -> inner.incrementAndGet(i * 4 + k));
                    pool.run(4, k -> inner.incrementAndGet(i * 4 + k));
                });
                for (int i = 0; i < 8; i++) {
                    assertThat(outer.get(i)).as("round %d outer %d", round, i).isEqualTo(1);
                }
                for (int i = 0; i < 32; i++) {
                    assertThat(inner.get(i)).as("round %d inner %d", round, i).isEqualTo(2);
                }
            }
        });
    }
}
