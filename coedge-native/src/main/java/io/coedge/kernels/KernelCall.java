package io.coedge.kernels;

import java.lang.foreign.MemorySegment;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The arguments of one parallel kernel call, in an object each calling thread reuses, so that handing a kernel's
 * tasks to the pool allocates nothing (a capturing lambda per call would). The pool's hand-over publishes the
 * fields to its threads. A call object holds its kernel only during the call ({@link #release}): a thread-local
 * value that kept its kernel alive would keep the kernel, and its packed weights, for as long as the thread lives.
 */
abstract class KernelCall<K> {
    K owner;
    private boolean inUse;

    /** This thread's call object from {@code calls}, or a {@code fresh} one while that is in use. */
    static <K, C extends KernelCall<K>> C take(ThreadLocal<C> calls, Supplier<C> fresh, K owner) {
        C c = calls.get();
        KernelCall<K> call = c;
        if (call.inUse) {
            c = fresh.get(); // a task that calls its own kernel again: not done by the kernels, but never share one
            call = c;
        }
        call.inUse = true;
        call.owner = owner;
        return c;
    }

    /** Splits rows {@code [r0, r1)} over {@code pool} ({@link WorkerPool#forRows}) with {@code call}, then releases it. */
    static <C extends KernelCall<?> & WorkerPool.Rows> void forRows(WorkerPool pool, int r0, int r1, int minChunk,
                                                                     int maxChunk, C call) {
        try {
            pool.forRows(r0, r1, minChunk, maxChunk, call);
        } finally {
            call.release();
        }
    }

    /** Runs {@code call}'s tasks {@code [0, count)} on {@code pool} ({@link WorkerPool#run}), then releases it. */
    static <C extends KernelCall<?> & IntConsumer> void run(WorkerPool pool, int count, C call) {
        try {
            pool.run(count, call);
        } finally {
            call.release();
        }
    }

    /** After the call: lets go of the kernel and of the call's arguments. */
    final void release() {
        inUse = false;
        owner = null;
        clear();
    }

    /** Lets go of the call's arguments (segments, tensors). */
    abstract void clear();

    /** A band of rows from an input segment into an output segment, the shape of most row kernels' calls. */
    static final class SegmentBand<K> extends KernelCall<K> implements WorkerPool.Rows {
        /** What the kernel does to rows {@code [a, b)}; an unbound method reference, so one instance for all calls. */
        @FunctionalInterface
        interface Body<K> {
            void run(K kernel, MemorySegment xs, int xRow0, MemorySegment ys, int outRow0, int a, int b);
        }

        private Body<K> body;
        private MemorySegment xs;
        private int xRow0;
        private MemorySegment ys;
        private int outRow0;

        SegmentBand<K> band(Body<K> body, MemorySegment xs, int xRow0, MemorySegment ys, int outRow0) {
            this.body = body;
            this.xs = xs;
            this.xRow0 = xRow0;
            this.ys = ys;
            this.outRow0 = outRow0;
            return this;
        }

        @Override
        public void run(int a, int b) {
            body.run(owner, xs, xRow0, ys, outRow0, a, b);
        }

        @Override
        void clear() {
            body = null;
            xs = null;
            ys = null;
        }
    }
}
