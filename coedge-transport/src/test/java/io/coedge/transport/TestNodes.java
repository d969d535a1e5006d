package io.coedge.transport;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Transport nodes for tests: own base directory, short timeouts. */
public final class TestNodes {
    private TestNodes() {
    }

    public static TransportContext context(Path baseDir, String name) {
        return new TransportContext().name(name).baseDir(baseDir.toString())
                .termLengthBytes(1 << 20)
                .controlMaxMessageBytes(64 * 1024)
                .sendTimeoutNs(TimeUnit.SECONDS.toNanos(5))
                .receiveTimeoutNs(TimeUnit.SECONDS.toNanos(10))
                .connectTimeoutNs(TimeUnit.SECONDS.toNanos(5));
    }

    /** A free UDP port on loopback (racy in theory; the tests retry nothing and use it at once). */
    public static int freeUdpPort() {
        try (var s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
