package io.coedge.transport;

import io.aeron.Publication;
import io.coedge.transport.protocol.BodyWriter;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.MessageType;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends signed control messages on one publication. Each message gets the next sequence number of this
 * sender; sequences start from the wall clock in nanoseconds so that a restarted sender is still newer
 * than everything it sent before (receivers refuse non-increasing sequences: replay protection).
 * {@link #send} is synchronized: the control loop and the compute thread both answer on it.
 */
public final class ControlPublisher implements AutoCloseable {
    /** Result of {@link #send}: the message is in the publication. */
    public static final int SENT = 0;
    /** Result of {@link #send}: nobody subscribed within the timeout. */
    public static final int NOT_CONNECTED = -1;
    /** Result of {@link #send}: back pressure did not clear within the timeout, or the publication closed. */
    public static final int FAILED = -2;

    private final Publication publication;
    private final ControlCodec codec;
    private final int senderId;
    private final UnsafeBuffer buffer;
    private final BodyWriter writer = new BodyWriter();
    private final IdleStrategy idle = TransportNode.waitIdleStrategy();
    private final long timeoutNs;
    private long sequence = System.currentTimeMillis() * 1_000_000L;

    public ControlPublisher(Publication publication, ControlCodec codec, int senderId, int maxMessageBytes, long timeoutNs) {
        this.publication = publication;
        this.codec = codec;
        this.senderId = senderId;
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.min(maxMessageBytes, publication.maxMessageLength())));
        this.timeoutNs = timeoutNs;
    }

    private Runnable onSent = () -> { };
    private java.util.function.IntSupplier whileWaiting = () -> 0;

    /**
     * Work to do while waiting for a subscriber or for back pressure to clear (e.g.
     * {@link TransportNode#driverDutyCycle}: the driver that drains the publication may run on this thread).
     */
    public ControlPublisher whileWaiting(java.util.function.IntSupplier dutyCycle) {
        this.whileWaiting = dutyCycle;
        return this;
    }

    /** Runs {@code action} after each message that went into the publication (e.g. {@link TransportNode#wakeDriver}). */
    public ControlPublisher onSent(Runnable action) {
        this.onSent = action;
        return this;
    }

    /** Largest body that fits one message. */
    public int maxBodyBytes() {
        return buffer.capacity() - io.coedge.transport.protocol.ControlHeader.MIN_LENGTH;
    }

    public boolean isConnected() {
        return publication.isConnected();
    }

    /** Waits up to {@code timeoutNs} for a subscriber; true if one is connected. */
    public boolean awaitConnected(long timeoutNs) {
        long deadline = System.nanoTime() + timeoutNs;
        idle.reset();
        while (!publication.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            idle.idle(whileWaiting.getAsInt());
        }
        return true;
    }

    /** Builds the body with {@code body}, seals and publishes it; returns {@link #SENT} or a negative code. */
    public synchronized int send(MessageType type, int flags, long planVersion, long requestId, Consumer<BodyWriter> body) {
        writer.wrap(buffer, 0);
        if (body != null) {
            body.accept(writer);
        }
        int length = codec.seal(buffer, 0, type, senderId, flags, planVersion, requestId, ++sequence, writer.length());
        long deadline = System.nanoTime() + timeoutNs;
        idle.reset();
        while (true) {
            long r = publication.offer(buffer, 0, length);
            if (r > 0) {
                onSent.run();
                return SENT;
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                return FAILED;
            }
            if (System.nanoTime() - deadline > 0) {
                return r == Publication.NOT_CONNECTED ? NOT_CONNECTED : FAILED;
            }
            idle.idle(whileWaiting.getAsInt());
        }
    }

    public Publication publication() {
        return publication;
    }

    @Override
    public void close() {
        publication.close();
    }
}
