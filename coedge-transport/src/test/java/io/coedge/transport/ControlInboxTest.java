package io.coedge.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.aeron.protocol.DataHeaderFlyweight;
import io.coedge.transport.protocol.ClusterKey;
import io.coedge.transport.protocol.ControlCodec;
import io.coedge.transport.protocol.FrameCheck;
import io.coedge.transport.protocol.MessageType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The replay check: a sender's messages are taken only in increasing sequence. */
class ControlInboxTest {
    private static final ClusterKey KEY = ClusterKey.of("control-inbox-test-key-0123".getBytes(StandardCharsets.US_ASCII));

    private final List<Long> delivered = new ArrayList<>();
    private final ControlInbox inbox = new ControlInbox(null, new ControlCodec(KEY),
            (h, body, buffer) -> delivered.add(h.sequence()), null);
    /** An unfragmented data frame's header, so the inbox's fragment assembler passes each message straight on. */
    private final Header header = new Header(0, 0).buffer(unfragmentedFrame()).offset(0);

    private static UnsafeBuffer unfragmentedFrame() {
        UnsafeBuffer frame = new UnsafeBuffer(new byte[DataHeaderFlyweight.HEADER_LENGTH]);
        frame.putByte(DataHeaderFlyweight.FLAGS_FIELD_OFFSET, (byte) FrameDescriptor.UNFRAGMENTED);
        return frame;
    }

    private void deliver(int sender, long sequence) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[256]);
        int length = new ControlCodec(KEY).seal(b, 0, MessageType.HEARTBEAT, sender, 0, 1, 1, sequence, 0);
        inbox.onFragment(b, 0, length, header);
    }

    @Test
    void aSendersOldOrRepeatedSequencesAreDroppedAsStaleOthersKeepTheirOwn() {
        deliver(7, 1);
        deliver(7, 2);
        deliver(7, 2);
        deliver(7, 1);
        deliver(9, 1);
        deliver(7, 3);
        assertThat(delivered).containsExactly(1L, 2L, 1L, 3L);
        assertThat(inbox.dropped(FrameCheck.STALE)).isEqualTo(2);
        inbox.forgetSender(7);
        deliver(7, 1);
        assertThat(delivered).containsExactly(1L, 2L, 1L, 3L, 1L);
    }

    /** The primitive map marks a missing sender with Long.MIN_VALUE; a sequence that equals it is refused, not fatal. */
    @Test
    void theSequenceThatMarksAMissingSenderIsDroppedNotThrown() {
        deliver(5, Long.MIN_VALUE);
        deliver(5, 1);
        assertThat(delivered).containsExactly(1L);
        assertThat(inbox.dropped(FrameCheck.STALE)).isEqualTo(1);
    }
}
