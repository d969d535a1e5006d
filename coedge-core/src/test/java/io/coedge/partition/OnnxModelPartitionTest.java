package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.onnx.OnnxImporter;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A network exported from PyTorch and imported from ONNX splits as exactly as the zoo's. */
class OnnxModelPartitionTest {

    @Test
    void importedPyTorchNetworkSplitsExactly() throws Exception {
        Path file = Path.of(getClass().getResource("/onnx/smallnet.onnx").toURI());
        Graph g = OnnxImporter.load(file, null);
        int h = g.inputs().get(0).shape()[2];
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 4);
            Tensor ref = Nets.reference(g, arena, in);
            for (int n = 1; n <= 5; n++) {
                for (Sync s : List.of(Sync.every(), Sync.fused(2))) {
                    Plan plan = Plan.random(Plan.deviceNames(n), h, n, s);
                    PartitionedExecutor px = new PartitionedExecutor(g, plan, List.of());
                    PartitionedExecutor.Result r = px.run(arena, in);
                    assertThat(Nets.maxAbsDiff(ref, r.output())).as("%s", plan).isLessThanOrEqualTo(1e-5f * Nets.maxAbs(ref));
                    assertThat(r.counted().difference(px.geometry().predicted())).isNull();
                }
            }
        }
    }
}
