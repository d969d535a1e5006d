package io.coedge.transport.runtime;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A worker's compute thread: runs the tasks handed to it one at a time, in the order they were handed over,
 * like a single-thread executor. Unlike one, handing a task over and waiting for the next allocate nothing (an
 * array queue, park and unpark, where an executor's linked queue allocates a node per task and its wait a condition
 * node): a worker hands over a request on every inference.
 */
final class ComputeThread {
    /** Tasks waiting; far more than a worker ever has (a plan, a model build, a request or two). */
    private static final int CAPACITY = 1024;

    private final ManyToOneConcurrentArrayQueue<Runnable> tasks = new ManyToOneConcurrentArrayQueue<>(CAPACITY);
    /** Callers inside {@link #execute}: the thread does not end while one may still queue a task it admitted. */
    private final AtomicInteger handingOver = new AtomicInteger();
    private final Thread thread;
    private volatile boolean shutdown;

    ComputeThread(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code task} behind those already handed over; refused once {@link #shutdown} was called. */
    void execute(Runnable task) {
        handingOver.incrementAndGet();
        try {
            if (shutdown) {
                throw new RejectedExecutionException("the compute thread " + thread.getName() + " is shut down");
            }
            while (!tasks.offer(task)) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100)); // full: the thread is far behind, wait
            }
        } finally {
            handingOver.decrementAndGet();
        }
        LockSupport.unpark(thread);
    }

    /** Runs what is queued, then ends the thread. */
    void shutdown() {
        shutdown = true;
        LockSupport.unpark(thread);
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        thread.join(Math.max(1, unit.toMillis(timeout)));
        return !thread.isAlive();
    }

    private void loop() {
        while (true) {
            Runnable task = tasks.poll();
            if (task != null) {
                Thread.interrupted(); // as an executor does: a task does not inherit an interrupt another left behind
                try {
                    task.run();
                } catch (Throwable e) {
                    // the tasks report their own failures to the coordinator; this is a bug, and the thread goes on
                    System.err.println("[" + thread.getName() + "] uncaught in a task: " + e);
                    e.printStackTrace();
                }
            } else if (shutdown && handingOver.get() == 0 && tasks.isEmpty()) {
                return; // nothing queued, and nobody can queue anything any more
            } else {
                Thread.interrupted(); // else a task that left the interrupt set would make every park return at once
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(shutdown ? 1 : 1_000));
            }
        }
    }
}
