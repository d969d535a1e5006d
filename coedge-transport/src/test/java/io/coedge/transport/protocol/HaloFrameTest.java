package io.coedge.transport.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HaloFrameTest {
    private final UnsafeBuffer buf = new UnsafeBuffer(new byte[4096]);
    private final HaloFrame frame = new HaloFrame();

    private void write(long totalBytes, long byteOffset, int chunk) {
        HaloFrame.writeHeader(buf, 0, 1, 5, 9L, 77L, 12, 2, totalBytes, byteOffset, chunk);
    }

    @Test
    void wellFormedFrameIsAcceptedAndFieldsReadBack() {
        write(1024, 512, 256);
        frame.wrap(buf, 0);
        assertThat(frame.check(HaloFrame.HEADER_LENGTH + 256)).isEqualTo(FrameCheck.OK);
        assertThat(frame.senderId()).isEqualTo(1);
        assertThat(frame.layerIndex()).isEqualTo(5);
        assertThat(frame.planVersion()).isEqualTo(9L);
        assertThat(frame.requestId()).isEqualTo(77L);
        assertThat(frame.rowOffset()).isEqualTo(12);
        assertThat(frame.rowCount()).isEqualTo(2);
        assertThat(frame.byteOffset()).isEqualTo(512L);
        assertThat(frame.payloadOffset()).isEqualTo(HaloFrame.HEADER_LENGTH);
    }

    @Test
    void frameShorterThanItsHeaderIsTooShort() {
        write(1024, 0, 0);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH - 1)).isEqualTo(FrameCheck.TOO_SHORT);
    }

    @Test
    void chunkLengthPastTheFrameIsTooShort() {
        write(1024, 0, 512);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 100)).isEqualTo(FrameCheck.TOO_SHORT);
    }

    @Test
    void chunkRunningPastTheHaloIsRejected() {
        write(1024, 768, 512);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 512)).isEqualTo(FrameCheck.BAD_LENGTH);
    }

    @Test
    void negativeLengthsAndOffsetsAreRejected() {
        write(1024, -8, 8);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 8)).isEqualTo(FrameCheck.BAD_LENGTH);
        write(1024, 0, -8);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH)).isEqualTo(FrameCheck.BAD_LENGTH);
        write(Long.MIN_VALUE, 0, 8);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 8)).isEqualTo(FrameCheck.BAD_LENGTH);
    }

    @Test
    void overflowingOffsetIsRejectedNotWrapped() {
        write(Long.MAX_VALUE, Long.MAX_VALUE - 4, 8);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 8)).isNotEqualTo(FrameCheck.OK);
    }

    @Test
    void controlMessageOnTheHaloStreamIsBadMagic() {
        write(1024, 0, 8);
        buf.putInt(0, ControlHeader.MAGIC, ByteOrder.LITTLE_ENDIAN);
        assertThat(frame.wrap(buf, 0).check(HaloFrame.HEADER_LENGTH + 8)).isEqualTo(FrameCheck.BAD_MAGIC);
    }
}
