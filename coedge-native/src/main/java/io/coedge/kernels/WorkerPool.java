package io.coedge.kernels;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The threads a device computes with: the caller plus {@code threads - 1} daemon workers, shared by
 * all kernels. A kernel splits its band into tasks (row tiles, column blocks) and runs them here;
 * OpenBLAS is kept at one thread so that its threads and ours never oversubscribe the cores.
 *
 * <p>Idle workers spin briefly, then park: a barrier that only spins collapses when its threads are
 * descheduled on a loaded machine (OpenBLAS's does), one that only parks pays a wake-up per layer.
 * Tasks are handed out one at a time from a counter, so a thread that arrives late finds the others
 * have done its share instead of making them wait. A second caller that arrives while the pool
 * is busy (two devices in one process) runs its tasks itself rather than waiting.
 */
final class WorkerPool {
    private static volatile WorkerPool shared;
    /**
     * Busy-wait rounds of an idle worker before it parks: about 20-30 microseconds, enough to bridge the
     * gap between two layers. Longer spinning (20,000 rounds, about half a millisecond) measured slower on
     * a loaded machine: when the caller is preempted, a worker that keeps spinning holds a core that
     * could have run whatever displaced it (GoogLeNet on 2 threads at load 3-4: median 13-16 ms instead
     * of 14-19 ms, the fastest run unchanged).
     */
    private static final int SPINS = 1_000;
    /**
     * Busy-wait rounds of the caller waiting for the workers' last tasks before it parks (about 100
     * microseconds). Past that the worker has most likely been preempted, and a spinning caller would
     * only keep a core from the process that displaced it.
     */
    private static final int JOIN_SPINS = 5_000;

    private final Thread[] workers;
    private final ReentrantLock owner = new ReentrantLock();
    private volatile Job job;

    /**
     * One {@link #run}: its task, how many indices, who waits. The pool reuses two of these in turn, so that
     * handing out tasks allocates nothing. A worker announces itself in {@code inside} before it checks that
     * the job it read is still the one published, and the caller reuses a job only when no worker is inside
     * it (else it takes a fresh one, never waiting): a worker late from the last run cannot take an index of
     * the next, nor read its fields half set.
     */
    private static final class Job {
        IntConsumer task;
        int count;
        Thread caller;
        /** Which run this is; written last, after the fields above, and read first. */
        volatile long generation;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger inside = new AtomicInteger();
        volatile Throwable error;
    }

    /** The two jobs {@link #run} takes in turn, and the run count; both touched only under {@link #owner}. */
    private final Job[] jobs = {new Job(), new Job()};
    private long runs;

    /** {@link #forRows}'s task: the chunks of one call. One per calling thread, reused. */
    private static final class RowChunks implements IntConsumer {
        Rows body;
        int r0;
        int r1;
        int chunk;
        boolean inUse;

        @Override
        public void accept(int i) {
            body.run(r0 + i * chunk, Math.min(r1, r0 + (i + 1) * chunk));
        }
    }

    private final ThreadLocal<RowChunks> rowChunks = ThreadLocal.withInitial(RowChunks::new);

    private WorkerPool(int threads) {
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("coedge-kernel-" + (i + 1)).unstarted(this::loop);
            workers[i].start();
        }
    }

    /** The pool sized by {@link KernelSettings#threads()} when first used. */
    static WorkerPool shared() {
        WorkerPool p = shared;
        if (p == null) {
            synchronized (WorkerPool.class) {
                p = shared;
                if (p == null) {
                    p = new WorkerPool(KernelSettings.threads());
                    shared = p;
                }
            }
        }
        return p;
    }

    /** Threads that run tasks, the caller included. */
    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code task.accept(i)} for every {@code i} in {@code [0, count)} and returns when all are done. */
    void run(int count, IntConsumer task) {
        // A task that runs the pool again (the lock is reentrant) runs inline too: a nested run would otherwise
        // reset and reuse the very job its caller is still running.
        if (count <= 1 || workers.length == 0 || owner.isHeldByCurrentThread() || !owner.tryLock()) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        try {
            Job j = jobs[(int) (runs & 1)];
            if (j.inside.get() != 0) {
                j = new Job(); // a worker has not yet left it: rather a new one than wait for that worker
            }
            j.task = task;
            j.count = count;
            j.caller = Thread.currentThread();
            j.error = null;
            j.done.set(0);
            j.next.set(0);
            j.generation = ++runs;
            job = j;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(j);
            for (int spin = 0; j.done.get() < count; spin++) {
                if (spin < JOIN_SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            job = null;
            j.task = null; // the caller's task, not ours to keep alive; no worker reads it once all are done
            Throwable t = j.error;
            if (t instanceof RuntimeException r) {
                throw r;
            } else if (t instanceof Error e) {
                throw e;
            } else if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            owner.unlock();
        }
    }

    /**
     * A view of {@code s} the workers may touch. Tensors often live in a confined arena (only its
     * owner thread may access them); the caller of {@link #run} blocks until every task is done, so
     * the memory stays alive and a global-scope view of the same bytes is safe for that long. Heap
     * segments are thread-agnostic already, and so are segments of shared, automatic and global arenas (a
     * partitioned device's buffers): those are returned as they are, which spares a view per kernel call.
     */
    MemorySegment shareable(MemorySegment s) {
        if (workers.length == 0 || !s.isNative() || s.isAccessibleBy(workers[0])) {
            return s;
        }
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }

    /** Body of a row-split task: computes rows {@code [a, b)}. */
    @FunctionalInterface
    interface Rows {
        void run(int a, int b);
    }

    /**
     * Splits rows {@code [r0, r1)} into chunks of at most {@code maxChunk} and at least
     * {@code minChunk} rows, about four per thread when there are enough rows, and runs them.
     */
    void forRows(int r0, int r1, int minChunk, int maxChunk, Rows body) {
        int rows = r1 - r0;
        if (rows <= 0) {
            return;
        }
        int chunk = chunkRows(rows, minChunk, maxChunk);
        int tasks = (rows + chunk - 1) / chunk;
        if (tasks == 1 || workers.length == 0) {
            // on this thread alone: the chunks in order, without the task object run() would need
            for (int a = r0; a < r1; a += chunk) {
                body.run(a, Math.min(r1, a + chunk));
            }
            return;
        }
        RowChunks c = rowChunks.get();
        if (c.inUse) {
            c = new RowChunks(); // a task that itself splits rows: not done by the kernels, but never share one
        }
        c.body = body;
        c.r0 = r0;
        c.r1 = r1;
        c.chunk = chunk;
        c.inUse = true;
        try {
            run(tasks, c);
        } finally {
            c.inUse = false;
            c.body = null;
        }
    }

    /**
     * The chunk {@link #forRows} cuts {@code rows} rows into: about four per thread when there are enough
     * rows, within {@code [minChunk, maxChunk]}.
     */
    private int chunkRows(int rows, int minChunk, int maxChunk) {
        int target = (rows + 4 * threads() - 1) / (4 * threads());
        return Math.max(1, Math.min(maxChunk, Math.max(minChunk, target)));
    }

    private static void work(Job j) {
        int i;
        while ((i = j.next.getAndIncrement()) < j.count) {
            try {
                j.task.accept(i);
            } catch (Throwable t) {
                j.error = t;
            }
            if (j.done.incrementAndGet() == j.count) {
                LockSupport.unpark(j.caller);
            }
        }
    }

    private void loop() {
        long last = 0;
        int spin = 0;
        while (true) {
            Job j = job;
            if (j == null || j.generation == last) {
                // Layers follow each other within microseconds: spin a little before parking, so the
                // next job does not wait for a wake-up (which on a loaded machine can take a timeslice).
                if (spin++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
                continue;
            }
            spin = 0;
            long generation = j.generation;
            j.inside.incrementAndGet();
            try {
                // Still the published job and the same run? If the caller had already moved on, it saw this
                // worker outside and may be resetting the job: leave it alone.
                if (job == j && j.generation == generation) {
                    work(j);
                    last = generation; // only a run it saw through: a stale read must not make it skip the next
                }
            } finally {
                j.inside.decrementAndGet();
            }
        }
    }
}
