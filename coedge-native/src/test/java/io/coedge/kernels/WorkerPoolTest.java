package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyTaskRunsOnceAcrossTheThreads() {
        WorkerPool pool = new WorkerPool(2, 0);
        AtomicInteger[] runs = new AtomicInteger[37];
        for (int i = 0; i < runs.length; i++) {
            runs[i] = new AtomicInteger();
        }
        pool.run(runs.length, i -> runs[i].incrementAndGet());
        for (AtomicInteger r : runs) {
            assertThat(r.get()).isEqualTo(1);
        }
    }

    /** A worker held up far longer than the caller's own task (as when preempted) sends the next runs to the caller alone. */
    @Test
    void afterAStalledWorkerTheNextRunStaysOnTheCaller() throws Exception {
        // A backoff far longer than the test, so that it cannot expire between the two runs.
        WorkerPool pool = new WorkerPool(2, TimeUnit.MINUTES.toNanos(10));
        Thread caller = Thread.currentThread();
        CountDownLatch workerStarted = new CountDownLatch(1);
        pool.run(2, i -> {
            if (Thread.currentThread() == caller) {
                await(workerStarted);
            } else {
                workerStarted.countDown();
                sleep(60);
            }
        });
        assertThat(pool.stalls()).isEqualTo(1);
        // Were the worker still in use, it would take one of these tasks while the caller waits in the other.
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        CountDownLatch second = new CountDownLatch(1);
        pool.run(2, i -> {
            ran.add(Thread.currentThread());
            if (Thread.currentThread() == caller) {
                awaitUpTo(second, 300);
            } else {
                second.countDown();
            }
        });
        assertThat(ran).containsExactly(caller);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).as("a worker took a task").isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitUpTo(CountDownLatch latch, long millis) {
        try {
            latch.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
