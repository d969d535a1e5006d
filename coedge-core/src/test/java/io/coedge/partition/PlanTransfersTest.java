package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The transfers of a family of plans, with each device's bands kept by its rows. */
class PlanTransfersTest {
    /** Input 4x16x8, then two 3x3 stride-1 convs (padding 1) to 8 channels. */
    private static Graph chain() {
        GraphBuilder b = new GraphBuilder("chain");
        String x = b.input("input", 1, 4, 16, 8);
        int c = 4;
        for (int i = 0; i < 2; i++) {
            String w = b.constant("w" + i, new float[8 * c * 9], 8, c, 3, 3);
            x = b.node("conv" + i, Conv.of(3, 1, 1, 1), x, w);
            c = 8;
        }
        return b.output(x).build();
    }

    private static Plan plan(int... rows) {
        return new Plan(0, Plan.deviceNames(rows.length), rows, Sync.every(), "dev0");
    }

    @Test
    void neighboursExchangeOneRowOfTheFirstConvsOutputWhichTheSecondReads() {
        Graph g = chain();
        PlanTransfers pt = PlanTransfers.of(g, plan(8, 8));
        List<String> halos = new ArrayList<>();
        pt.forEachHalo(new int[] {5, 11}, (node, from, to, rowStart, rowEnd, bytes) ->
                halos.add(g.nodes().get(node).name() + " " + from + "->" + to + " [" + rowStart + ", " + rowEnd + ") "
                        + bytes));
        // one row of 8 channels x 8 columns x 4 bytes each way, at the boundary row 5
        assertThat(halos).containsExactly("conv0 1->0 [5, 6) 256", "conv0 0->1 [4, 5) 256");
        assertThat(pt.transfersOf(plan(5, 11))).isEqualTo(Geometry.of(g, plan(5, 11)).transfers());
    }

    @Test
    void rowsThatDoNotCoverTheInputAreRejectedWithTheirSum() {
        PlanTransfers pt = PlanTransfers.of(chain(), plan(8, 8));
        assertThatThrownBy(() -> pt.forEachHalo(new int[] {8, 7}, (node, from, to, rowStart, rowEnd, bytes) -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum to 15").hasMessageContaining("16");
        assertThatThrownBy(() -> pt.forEachHalo(new int[] {16}, (node, from, to, rowStart, rowEnd, bytes) -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected rows for 2 devices");
        assertThatThrownBy(() -> pt.forEachHalo(new int[] {17, -1}, (node, from, to, rowStart, rowEnd, bytes) -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> pt.transfersOf(plan(8, 7))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("give row counts that sum to 16");
    }
}
