package io.coedge.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The small network exported from PyTorch by {@code scripts/export_onnx_fixtures.py --models smallnet}
 * (committed under {@code src/test/resources/onnx}): conv, batch norm, relu, max pool, residual add,
 * concat, squeeze-excitation, resize, global pool and the {@code x.view(x.size(0), -1)} shape chain.
 */
class PyTorchFixtureTest {
    static Path fixtures() throws URISyntaxException {
        return Path.of(PyTorchFixtureTest.class.getResource("/onnx/smallnet.onnx").toURI()).getParent();
    }

    @Test
    void smallExportedNetworkGivesPyTorchsOutput() throws Exception {
        Graph g = ExportedModelCheck.load(fixtures(), "smallnet");
        // The shape chain before the classifier's Reshape is folded at import and never reaches the graph.
        assertThat(g.nodes()).extracting(n -> n.op().type())
                .doesNotContain("Shape", "Gather", "Unsqueeze", "Constant").contains("Reshape", "Resize", "Gemm");
        ExportedModelCheck.check(fixtures(), "smallnet", Executor.reference(g));
    }

    @Test
    void smallExportedNetworkRunsWithABatchOfTwo() throws Exception {
        Graph g = OnnxImporter.load(fixtures().resolve("smallnet.onnx"), new int[] {2, 3, 32, 32});
        assertThat(g.shape(g.outputs().get(0))).containsExactly(2, 10);
    }
}
