package io.coedge.transport.halo;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.coedge.transport.TestNodes;
import io.coedge.transport.TransportNode;
import io.coedge.transport.protocol.FrameCheck;
import io.coedge.transport.protocol.HaloFrame;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaloStreamTest {
    private static final int STREAM = 77;

    @TempDir
    Path dir;
    private TransportNode a;
    private TransportNode b;
    private Arena arena;

    @BeforeEach
    void start() {
        a = TransportNode.start(TestNodes.context(dir, "a"));
        b = TransportNode.start(TestNodes.context(dir, "b"));
        arena = Arena.ofShared();
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
        arena.close();
    }

    private MemorySegment randomRows(int bytes, long seed) {
        MemorySegment s = arena.allocate(bytes, 64);
        Random r = new Random(seed);
        for (int i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        return s;
    }

    private HaloSender sender(Publication p) {
        return new HaloSender(p, 0, TransportNode.waitIdleStrategy(), new SystemNanoClock(), TimeUnit.SECONDS.toNanos(5), null);
    }

    private HaloReceiver receiver(Subscription s) {
        return new HaloReceiver(s, TransportNode.waitIdleStrategy(), new SystemNanoClock(), null, null);
    }

    private void sendAndCheck(Publication pub, Subscription sub, int bytes) {
        HaloSender tx = sender(pub);
        HaloReceiver rx = receiver(sub);
        MemorySegment src = randomRows(bytes, bytes);
        MemorySegment dst = arena.allocate(bytes, 64);
        int slot = rx.addSlot(3, 40, 2, dst);
        rx.begin(1, 1);
        tx.whileWaiting(() -> rx.poll(64)); // one thread: drain our own receiver while the window is full
        assertThat(tx.send(src, 3, 1, 1, 40, 2)).isEqualTo(HaloSender.OK);
        assertThat(rx.await(slot, TimeUnit.SECONDS.toNanos(10))).isTrue();
        assertThat(dst.mismatch(src)).isEqualTo(-1L);
        assertThat(rx.droppedTotal()).isZero();
    }

    @Test
    void haloLargerThanOneFrameArrivesExactlyOverIpc() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            sendAndCheck(pub, sub, 1 << 20);
        }
    }

    @Test
    void haloLargerThanOneFrameArrivesExactlyOverUdpBetweenDrivers() {
        String endpoint = "127.0.0.1:" + TestNodes.freeUdpPort();
        try (Subscription sub = b.aeron().addSubscription(b.udpChannel(endpoint), STREAM);
                Publication pub = a.aeron().addExclusivePublication(a.udpChannel(endpoint), STREAM)) {
            sendAndCheck(pub, sub, 3 * 1024 * 1024 + 12);
        }
    }

    @Test
    void frameForANewerRequestWaitsUntilThatRequestBegins() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            HaloSender tx = sender(pub);
            HaloReceiver rx = receiver(sub);
            MemorySegment src = randomRows(4096, 1);
            MemorySegment dst = arena.allocate(4096, 64);
            int slot = rx.addSlot(0, 0, 1, dst);
            rx.begin(1, 1);
            assertThat(tx.send(src, 0, 1, 2, 0, 1)).isEqualTo(HaloSender.OK);
            assertThat(rx.await(slot, TimeUnit.MILLISECONDS.toNanos(300))).isFalse();
            assertThat(rx.droppedTotal()).isZero();
            rx.begin(1, 2);
            assertThat(rx.await(slot, TimeUnit.SECONDS.toNanos(10))).isTrue();
            assertThat(dst.mismatch(src)).isEqualTo(-1L);
        }
    }

    @Test
    void garbageStaleAndUnexpectedFramesAreDroppedAndCountedWhileGoodOnesLand() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            HaloSender tx = sender(pub);
            HaloReceiver rx = receiver(sub);
            MemorySegment src = randomRows(8192, 2);
            MemorySegment dst = arena.allocate(8192, 64);
            int slot = rx.addSlot(5, 10, 2, dst);
            rx.begin(3, 9);

            UnsafeBuffer junk = new UnsafeBuffer(new byte[200]);
            offer(pub, junk, 10); // shorter than a halo header
            offer(pub, junk, 200); // wrong magic
            HaloFrame.writeHeader(junk, 0, 0, 5, 3, 9, 10, 2, 8192, 0, 1000);
            offer(pub, junk, 200); // claims 1000 payload bytes, carries 136
            assertThat(tx.send(src, 5, 3, 8, 10, 2)).isEqualTo(HaloSender.OK); // older request
            assertThat(tx.send(src, 6, 3, 9, 10, 2)).isEqualTo(HaloSender.OK); // layer nobody expects
            assertThat(tx.send(src.asSlice(0, 4096), 5, 3, 9, 10, 1)).isEqualTo(HaloSender.OK); // wrong row count
            assertThat(tx.send(src, 5, 3, 9, 10, 2)).isEqualTo(HaloSender.OK);

            assertThat(rx.await(slot, TimeUnit.SECONDS.toNanos(10))).isTrue();
            assertThat(dst.mismatch(src)).isEqualTo(-1L);
            assertThat(rx.dropped(FrameCheck.TOO_SHORT)).isEqualTo(2);
            assertThat(rx.dropped(FrameCheck.BAD_MAGIC)).isEqualTo(1);
            assertThat(rx.dropped(FrameCheck.STALE)).isEqualTo(1);
            assertThat(rx.dropped(FrameCheck.UNEXPECTED)).isEqualTo(2);
        }
    }

    @Test
    void sendingWithNoReceiverGivesUpWithinTheTimeout() {
        String endpoint = "127.0.0.1:" + TestNodes.freeUdpPort();
        try (Publication pub = a.aeron().addExclusivePublication(a.udpChannel(endpoint), STREAM)) {
            HaloSender tx = new HaloSender(pub, 0, TransportNode.waitIdleStrategy(), new SystemNanoClock(),
                    TimeUnit.MILLISECONDS.toNanos(200), null);
            long rc = tx.send(randomRows(4096, 3), 0, 1, 1, 0, 1);
            assertThat(rc).isEqualTo(HaloSender.TIMEOUT_NOT_CONNECTED);
            assertThat(HaloSender.describe(rc)).contains("no receiver");
        }
    }

    @Test
    void waitingForAHaloThatNeverComesReturnsFalseAfterTheTimeout() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM)) {
            HaloReceiver rx = receiver(sub);
            int slot = rx.addSlot(0, 0, 1, arena.allocate(64, 64));
            rx.begin(1, 1);
            assertThat(rx.await(slot, TimeUnit.MILLISECONDS.toNanos(100))).isFalse();
        }
    }

    @Test
    void haloThatArrivesBeforeItIsAskedForIsStagedThenCopiedToTheDestinationGivenLater() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            HaloSender tx = sender(pub);
            HaloReceiver rx = receiver(sub);
            int bytes = 300_000; // several frames
            MemorySegment first = randomRows(bytes, 11);
            MemorySegment second = randomRows(4096, 12);
            int s1 = rx.addSlot(1, 0, 3, bytes);
            int s2 = rx.addSlot(2, 5, 1, 4096);
            for (long request = 1; request <= 3; request++) {
                rx.begin(1, request);
                // Sent in the opposite order to the one the receiver asks in: the first one must be staged.
                assertThat(tx.send(first, 1, 1, request, 0, 3)).isEqualTo(HaloSender.OK);
                assertThat(tx.send(second, 2, 1, request, 5, 1)).isEqualTo(HaloSender.OK);
                MemorySegment d2 = arena.allocate(4096, 64);
                MemorySegment d1 = arena.allocate(bytes, 64);
                assertThat(rx.receive(s2, d2, TimeUnit.SECONDS.toNanos(10))).isTrue();
                assertThat(rx.receive(s1, d1, TimeUnit.SECONDS.toNanos(10))).isTrue();
                assertThat(d1.mismatch(first)).isEqualTo(-1L);
                assertThat(d2.mismatch(second)).isEqualTo(-1L);
            }
            assertThat(rx.droppedTotal()).isZero();
        }
    }

    @Test
    void haloAskedForBeforeItArrivesLandsDirectlyInTheDestination() throws Exception {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            HaloSender tx = sender(pub);
            HaloReceiver rx = receiver(sub);
            int bytes = 200_000;
            MemorySegment src = randomRows(bytes, 13);
            MemorySegment dst = arena.allocate(bytes, 64);
            int slot = rx.addSlot(4, 8, 2, bytes);
            rx.begin(2, 1);
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                tx.send(src, 4, 2, 1, 8, 2);
            });
            t.start();
            assertThat(rx.receive(slot, dst, TimeUnit.SECONDS.toNanos(10))).isTrue();
            t.join();
            assertThat(dst.mismatch(src)).isEqualTo(-1L);
        }
    }

    @Test
    void aHaloTriedBeforeAllOfItArrivedKeepsWhatCameForTheLaterReceive() {
        try (Subscription sub = b.aeron().addSubscription(b.ipcChannel(), STREAM);
                Publication pub = b.aeron().addExclusivePublication(b.ipcChannel(), STREAM)) {
            HaloReceiver rx = receiver(sub);
            MemorySegment src = randomRows(8192, 21);
            int slot = rx.addSlot(6, 0, 2, 8192);
            rx.begin(1, 1);
            MemorySegment dst = arena.allocate(8192, 64);
            assertThat(rx.tryReceive(slot, dst, 0)).isFalse(); // nothing sent yet
            UnsafeBuffer frame = new UnsafeBuffer(arena.allocate(HaloFrame.HEADER_LENGTH + 4096, 64).address(), HaloFrame.HEADER_LENGTH + 4096);
            for (int part = 0; part < 2; part++) {
                HaloFrame.writeHeader(frame, 0, 0, 6, 1, 1, 0, 2, 8192, part * 4096L, 4096);
                frame.putBytes(HaloFrame.HEADER_LENGTH, new UnsafeBuffer(src.address() + part * 4096L, 4096), 0, 4096);
                offer(pub, frame, HaloFrame.HEADER_LENGTH + 4096);
                if (part == 0) {
                    // the first half lands in dst, the wait gives up on the second
                    assertThat(rx.tryReceive(slot, dst, TimeUnit.MILLISECONDS.toNanos(200))).isFalse();
                    assertThat(dst.asSlice(0, 4096).mismatch(src.asSlice(0, 4096))).isEqualTo(-1L);
                    assertThat(rx.complete(slot)).isFalse();
                }
            }
            // a destination that never saw the first half: it must come from what the receiver kept
            MemorySegment other = arena.allocate(8192, 64);
            assertThat(rx.receive(slot, other, TimeUnit.SECONDS.toNanos(10))).isTrue();
            assertThat(other.mismatch(src)).isEqualTo(-1L);
            assertThat(rx.droppedTotal()).isZero();
            rx.begin(1, 2);
            HaloFrame.writeHeader(frame, 0, 0, 6, 1, 2, 0, 2, 8192, 0, 4096);
            offer(pub, frame, HaloFrame.HEADER_LENGTH + 4096);
            HaloFrame.writeHeader(frame, 0, 0, 6, 1, 2, 0, 2, 8192, 4096, 4096);
            offer(pub, frame, HaloFrame.HEADER_LENGTH + 4096);
            assertThat(rx.tryReceive(slot, dst, TimeUnit.SECONDS.toNanos(10))).isTrue(); // all of it in: received
            assertThat(rx.complete(slot)).isTrue();
        }
    }

    private static void offer(Publication pub, UnsafeBuffer buf, int len) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pub.offer(buf, 0, len) < 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("could not offer");
            }
            Thread.onSpinWait();
        }
    }
}
