package io.coedge.onnx;

import io.coedge.exec.Executor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four torchvision architectures exported by {@code scripts/export_onnx_fixtures.py} (random seeded
 * weights, eval mode, opset 13) give PyTorch's output to 1e-4 of max |ref| with the same top-5. The
 * exports are large (VGG-16 about 550 MB) and not committed: run
 * {@code /usr/bin/python3 scripts/export_onnx_fixtures.py}, then this test with
 * {@code COEDGE_TORCH_EXPORTS=target/torch-exports} (or {@code -Dcoedge.torch.exports=DIR}).
 */
@Tag("pytorch-export")
class PyTorchExportTest {
    static Path exports() {
        String p = System.getProperty("coedge.torch.exports", System.getenv("COEDGE_TORCH_EXPORTS"));
        return p == null ? null : Path.of(p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet", "vgg16", "resnet18", "googlenet"})
    void torchvisionExportGivesPyTorchsOutput(String model) throws Exception {
        Path dir = exports();
        Assumptions.assumeTrue(dir != null, "set COEDGE_TORCH_EXPORTS to the folder written by"
                + " scripts/export_onnx_fixtures.py to run this test");
        Assumptions.assumeTrue(Files.exists(dir.resolve(model + ".onnx")), model + ".onnx not found in " + dir);
        ExportedModelCheck.check(dir, model, Executor.create(ExportedModelCheck.load(dir, model)));
    }
}
