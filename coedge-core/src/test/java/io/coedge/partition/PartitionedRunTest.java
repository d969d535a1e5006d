package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionedRunTest {

    @Test
    void runReportsRowsFlopsAndHaloBytesPerDeviceAndTheOneDeviceOutput() {
        Graph g = Nets.mixed(37, 21, "gap");
        Plan plan = PartitionedRun.plan(g, 3, "10,0,27", "every");
        PartitionedRun run = new PartitionedRun(g, plan, List.of());
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 9);
            float[] ref = Executor.reference(g).run(arena, in).toLogicalArray();
            PartitionedRun.Report r = run.run(in.toLogicalArray());
            assertThat(r.outputs().get(g.outputs().get(0))).containsExactly(ref, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(r.accountingAgrees()).isTrue();
            assertThat(r.devices()).extracting(PartitionedRun.DeviceRow::inputRows).containsExactly(10, 0, 27);
            assertThat(r.devices().get(1).flops()).isZero();
            assertThat(r.devices().get(0).haloBytesReceived()).isPositive();
            StringWriter sw = new StringWriter();
            r.print(new PrintWriter(sw, true));
            assertThat(sw.toString()).contains("dev2").contains("halo sent B").contains("matches the geometry")
                    .contains("rows=dev0:10,dev1:0,dev2:27");
        }
    }

    @Test
    void badOptionsGiveOneClearMessage() {
        Graph g = Nets.smallStack(23, 9);
        assertThatThrownBy(() -> PartitionedRun.plan(g, 0, null, null)).hasMessageContaining("--devices must be");
        assertThatThrownBy(() -> PartitionedRun.plan(g, 2, "1,2", null)).hasMessageContaining("sum to 3")
                .hasMessageContaining("23");
        assertThatThrownBy(() -> PartitionedRun.plan(g, 2, "equal", "fused")).hasMessageContaining("fused:K");
    }
}
