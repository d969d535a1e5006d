package io.coedge.transport.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ComputeThreadTest {

    /** A task that holds the thread until {@code hold} opens, so that the next tasks queue behind it, then runs {@code then}. */
    private static void executeAfter(ComputeThread compute, CountDownLatch hold, Runnable then) {
        compute.execute(() -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            then.run();
        });
    }

    @Test
    void tasksRunOneAfterAnotherInTheOrderHandedOver() throws Exception {
        ComputeThread compute = new ComputeThread("compute-test");
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 0; i < 2_000; i++) {
            int n = i;
            compute.execute(() -> ran.add(n));
        }
        compute.execute(done::countDown);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).hasSize(2_000).isSorted();
        compute.shutdown();
        assertThat(compute.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anInterruptOneTaskLeavesBehindDoesNotReachTheNext() throws Exception {
        ComputeThread compute = new ComputeThread("compute-test");
        CountDownLatch hold = new CountDownLatch(1);
        boolean[] interrupted = {true};
        CountDownLatch checked = new CountDownLatch(1);
        executeAfter(compute, hold, () -> Thread.currentThread().interrupt());
        compute.execute(() -> {
            interrupted[0] = Thread.currentThread().isInterrupted();
            checked.countDown();
        });
        hold.countDown();
        assertThat(checked.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(interrupted[0]).isFalse();
        compute.shutdown();
        assertThat(compute.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shutdownRunsWhatIsQueuedThenRefusesMore() throws Exception {
        ComputeThread compute = new ComputeThread("compute-test");
        CountDownLatch hold = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        executeAfter(compute, hold, () -> ran.add("first"));
        compute.execute(() -> ran.add("queued before shutdown"));
        compute.shutdown();
        assertThatThrownBy(() -> compute.execute(() -> ran.add("after shutdown")))
                .isInstanceOf(RejectedExecutionException.class).hasMessageContaining("is shut down");
        hold.countDown();
        assertThat(compute.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("first", "queued before shutdown");
    }
}
