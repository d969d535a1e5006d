package io.coedge.transport;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.coedge.transport.protocol.BodyReader;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.ControlHeader;
import io.coedge.transport.protocol.FrameCheck;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Receives control messages from one subscription: reassembles fragments, checks length, magic, version
 * and MAC, refuses replays (a sequence not newer than the last accepted from the same sender), and hands
 * only authentic messages to the handler. Everything else is dropped and counted. Not thread-safe.
 */
public final class ControlInbox implements FragmentHandler {
    /** Receives authentic control messages. The header and reader are valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        void onMessage(ControlHeader header, BodyReader body, DirectBuffer buffer);
    }

    private static final long NO_SEQUENCE = Long.MIN_VALUE;

    private final Subscription subscription;
    private final ControlCodec codec;
    private final Handler handler;
    private final FragmentAssembler assembler;
    private final ControlHeader header = new ControlHeader();
    private final BodyReader reader = new BodyReader();
    /** Last sequence seen per sender; primitive keys and values, so checking a message boxes nothing. */
    private final Long2LongHashMap lastSequence = new Long2LongHashMap(NO_SEQUENCE);
    private final long[] droppedByReason = new long[FrameCheck.values().length];
    private final AtomicCounter dropped;

    public ControlInbox(Subscription subscription, ControlCodec codec, Handler handler, AtomicCounter dropped) {
        this.subscription = subscription;
        this.codec = codec;
        this.handler = handler;
        this.dropped = dropped;
        this.assembler = new FragmentAssembler(this::onMessage);
    }

    /** Polls once; returns fragments read. */
    public int poll(int limit) {
        return subscription.poll(assembler, limit);
    }

    @Override
    public void onFragment(DirectBuffer buffer, int offset, int length, Header h) {
        assembler.onFragment(buffer, offset, length, h);
    }

    private void onMessage(DirectBuffer buffer, int offset, int length, Header h) {
        FrameCheck check = codec.check(buffer, offset, length);
        if (check != FrameCheck.OK) {
            drop(check);
            return;
        }
        header.wrap(buffer, offset);
        long seq = header.sequence();
        long last = lastSequence.get(header.senderId());
        // sequences start at 1; the map's missing-value marker is never one a sender uses
        if (seq == NO_SEQUENCE || (last != NO_SEQUENCE && seq <= last)) {
            drop(FrameCheck.STALE);
            return;
        }
        lastSequence.put(header.senderId(), seq);
        reader.wrap(header, buffer);
        handler.onMessage(header, reader, buffer);
    }

    /** Forgets the last sequence of {@code senderId} (a peer that was replaced, e.g. a new coordinator). */
    public void forgetSender(int senderId) {
        lastSequence.remove((long) senderId);
    }

    /** Counts a message that passed the checks but whose body the handler found malformed or unexpected. */
    public void drop(FrameCheck why) {
        droppedByReason[why.ordinal()]++;
        if (dropped != null) {
            dropped.incrementOrdered();
        }
    }

    public long dropped(FrameCheck why) {
        return droppedByReason[why.ordinal()];
    }

    public long droppedTotal() {
        long t = 0;
        for (long d : droppedByReason) {
            t += d;
        }
        return t;
    }

    public Subscription subscription() {
        return subscription;
    }
}
