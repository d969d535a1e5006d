package io.coedge.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class EvenChunkTest {
    @Test
    void picksTheSplitThatLeavesTheBusiestThreadLeast() {
        assertThat(GemmConv.evenChunk(10, 2)).as("10 panels: 5 + 5, not 3 + 3 + 3 + 1").isEqualTo(5);
        assertThat(GemmConv.evenChunk(14, 2)).as("14 rows: 7 + 7, not 4 + 4 + 4 + 2").isEqualTo(7);
        assertThat(GemmConv.evenChunk(8, 2)).as("a tie goes to the smaller chunks").isEqualTo(2);
        assertThat(GemmConv.evenChunk(1, 2)).isEqualTo(1);
        assertThat(GemmConv.evenChunk(3, 2)).isEqualTo(1);
    }

    @Property
    void theChunksCoverTheUnitsAndNoThreadDoesMoreThanWithEitherPlainSplit(@ForAll @IntRange(min = 1, max = 5000) int units,
                                                                           @ForAll @IntRange(min = 1, max = 16) int threads) {
        int chunk = GemmConv.evenChunk(units, threads);
        assertThat(chunk).isBetween(1, units);
        long busiest = (long) Math.ceilDiv(Math.ceilDiv(units, chunk), threads) * chunk;
        for (int perThread = 1; perThread <= 2; perThread++) {
            int c = Math.ceilDiv(units, Math.min(units, threads * perThread));
            long b = (long) Math.ceilDiv(Math.ceilDiv(units, c), threads) * c;
            assertThat(busiest).isLessThanOrEqualTo(b);
        }
    }
}
