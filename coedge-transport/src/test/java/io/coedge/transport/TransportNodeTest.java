package io.coedge.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeron.Publication;
import io.aeron.Subscription;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded driver's threading: which threads run it, and that they are gone after close. */
class TransportNodeTest {
    @TempDir
    Path dir;

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .collect(Collectors.toSet());
    }

    @Test
    void anInvokerDriverHasOneRelaxedThreadAndRunsOnTheSendingThread() throws Exception {
        try (TransportNode node = TransportNode.start(TestNodes.context(dir, "inv").threadingMode("INVOKER"))) {
            assertThat(node.invokesDriver()).isTrue();
            assertThat(threadNames()).contains("coedge-driver-inv")
                    .noneMatch(n -> n.startsWith("driver-conductor") || n.equals("sender") || n.equals("receiver"));
            // A message crosses a UDP stream: the duty cycles on this thread move it without waiting for the
            // relaxed thread (which would also get there within its park).
            String channel = node.udpChannel("127.0.0.1:" + TestNodes.freeUdpPort());
            try (Subscription sub = node.aeron().addSubscription(channel, 7);
                    Publication pub = node.aeron().addExclusivePublication(channel, 7)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!pub.isConnected() && System.nanoTime() < deadline) {
                    node.driverDutyCycle();
                    Thread.onSpinWait();
                }
                assertThat(pub.isConnected()).isTrue();
                UnsafeBuffer msg = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
                msg.putLong(0, 0x0123456789abcdefL);
                assertThat(pub.offer(msg, 0, 64)).isPositive();
                node.wakeDriver();
                long[] got = {0};
                while (got[0] == 0 && System.nanoTime() < deadline) {
                    sub.poll((b, o, l, h) -> got[0] = b.getLong(o), 1);
                    node.driverDutyCycle();
                }
                assertThat(got[0]).isEqualTo(0x0123456789abcdefL);
            }
        }
        assertThat(threadNames()).doesNotContain("coedge-driver-inv");
    }

    @Test
    void aSharedDriverRunsOnItsOwnThreadAndTheDutyCycleIsANoOp() {
        try (TransportNode node = TransportNode.start(TestNodes.context(dir, "sh").threadingMode("SHARED"))) {
            assertThat(node.invokesDriver()).isFalse();
            assertThat(node.driverDutyCycle()).isZero();
            assertThat(threadNames()).doesNotContain("coedge-driver-sh");
        }
    }

    @Test
    void workersDefaultToInvokerUnlessAModeWasChosen() {
        assertThat(new TransportContext().defaultThreadingMode("INVOKER").threadingMode())
                .isEqualTo(System.getProperty(TransportConfiguration.THREADING_MODE_PROP) == null
                        ? io.aeron.driver.ThreadingMode.INVOKER
                        : io.aeron.driver.ThreadingMode.valueOf(System.getProperty(TransportConfiguration.THREADING_MODE_PROP)));
        assertThat(new TransportContext().threadingMode("SHARED").defaultThreadingMode("INVOKER").threadingMode())
                .isEqualTo(io.aeron.driver.ThreadingMode.SHARED);
    }
}
