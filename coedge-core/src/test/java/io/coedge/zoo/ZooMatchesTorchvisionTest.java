package io.coedge.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zoo's topologies are torchvision's: the zoo's constants, named like torchvision's state_dict
 * keys, load into the torchvision model of the same name, and both give the same logits (1e-4 of max
 * |ref|, same top-5), with BatchNorm kept and folded. Needs /usr/bin/python3 with torch and
 * torchvision (Debian python3-torch, python3-torchvision); skips otherwise. VGG-16 is left out to
 * keep the run short (its 550 MB of weights take a while to dump); it was checked the same way by hand.
 */
@Tag("pytorch")
class ZooMatchesTorchvisionTest {
    private static final String PYTHON = "/usr/bin/python3";

    private static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, torchvision").redirectErrorStream(true).start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static void write(Path p, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(p, b.array());
    }

    private static float[] read(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"alexnet", "resnet18", "googlenet"})
    void zooLogitsEqualTorchvisionWithTheSameWeights(String name, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(torchAvailable(), "needs " + PYTHON + " with torch and torchvision"
                + " (apt-get install python3-torch python3-torchvision)");
        Graph g = ModelZoo.build(name, false);
        for (Map.Entry<String, Tensor> e : g.constants().entrySet()) {
            write(dir.resolve(e.getKey() + ".bin"), e.getValue().toLogicalArray());
        }
        float[] img = new float[3 * 224 * 224];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < img.length; i++) {
            img[i] = (float) r.nextGaussian();
        }
        write(dir.resolve("_input.bin"), img);
        Path script = dir.resolve("zoo_vs_torchvision.py");
        try (InputStream in = getClass().getResourceAsStream("zoo_vs_torchvision.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(PYTHON, script.toString(), name, dir.toString()).redirectErrorStream(true).start();
        boolean done = p.waitFor(600, TimeUnit.SECONDS);
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(done).as("python finished").isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        float[] ref = read(dir.resolve("_torch_output.bin"));
        float max = 0;
        for (float v : ref) {
            max = Math.max(max, Math.abs(v));
        }
        try (Arena arena = Arena.ofConfined()) {
            for (Graph graph : new Graph[] {g, ModelZoo.build(name)}) {
                float[] y = Executor.reference(graph).run(arena, Tensor.fromLogical(arena, img, 1, 3, 224, 224)).toLogicalArray();
                for (int i = 0; i < y.length; i++) {
                    assertThat(Math.abs(y[i] - ref[i])).as("logit %d", i).isLessThanOrEqualTo(1e-4f * max);
                }
                assertThat(ModelZooTest.top5(y)).containsExactly(ModelZooTest.top5(ref));
            }
        }
    }
}
