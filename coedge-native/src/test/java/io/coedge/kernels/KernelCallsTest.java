package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.RowKernel;
import io.coedge.ops.Conv;
import java.lang.ref.WeakReference;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The per-thread objects kernels reuse to hand their tasks to the pool. */
class KernelCallsTest {

    /**
     * Each calling thread keeps a conv's call object for the next call. Were that object to hold its conv, the
     * thread would keep every conv it ever ran alive, with its packed weights (native memory that only goes when
     * the conv is collected): a process that deploys one model after another would run out of it.
     */
    @Test
    void aConvRunOnThePoolIsCollectedAfterItsLastUse() throws InterruptedException {
        Assumptions.assumeTrue(NativeLibrary.available(), () -> "C kernel library not loaded: " + NativeLibrary.problem());
        Assumptions.assumeTrue(WorkerPool.shared().threads() > 1,
                "the kernel pool has one thread here (coedge.threads=1): no task is handed to it");
        WeakReference<RowKernel> conv = runOnce();
        for (int i = 0; i < 50 && conv.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(conv.get()).as("the conv after its last use").isNull();
    }

    private static WeakReference<RowKernel> runOnce() {
        Conv op = new Conv(3, 3, 1, 1, 1, 1, "NOTSET", new long[] {1, 1, 1, 1}, 1);
        RowKernelCheck check = RowKernelCheck.conv(new Random(3), op, 16, 40, 24, 64, 16, 3, 3, true);
        RowKernel fast = check.fast(new NativeKernelProvider()::kernel);
        check.checkWhole(fast);
        check.checkBand(fast, 5, 30, 4, 31);
        return new WeakReference<>(fast);
    }
}
