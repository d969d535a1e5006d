package io.coedge.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.graph.Graph;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExecutorBuffersTest {

    private static Tensor randomInput(Arena arena, long seed) {
        Random r = new Random(seed);
        float[] x = new float[3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return Tensor.fromLogical(arena, x, 1, 3, 224, 224);
    }

    @Test
    void reusedBuffersGiveTheSameAnswerAsAFreshExecutorOnEveryRun() {
        Graph g = ModelZoo.build("resnet18");
        Executor reused = Executor.create(g);
        try (Arena arena = Arena.ofConfined()) {
            for (long seed = 1; seed <= 3; seed++) {
                Tensor in = randomInput(arena, seed);
                float[] got = reused.run(arena, in).toLogicalArray();
                float[] fresh = Executor.create(g).run(arena, in).toLogicalArray();
                assertThat(got).as("run %d", seed).containsExactly(fresh);
            }
        }
    }

    @Test
    void valuesShareSlotsOnceTheirLastReaderHasRun() {
        Graph g = ModelZoo.build("vgg16");
        long everyValue = 0;
        for (var n : g.nodes()) {
            everyValue += Shapes.size(g.shape(n.output())) * Float.BYTES;
        }
        long reserved = Executor.reference(g).bufferBytes();
        // A chain needs at most two live maps (plus the input): far less than all maps together.
        assertThat(reserved).isLessThan(everyValue / 3);
        assertThat(reserved).isGreaterThanOrEqualTo(2L * 64 * 224 * 224 * Float.BYTES);
    }

    @Test
    void outputsAreCopiesThatTheNextRunDoesNotOverwrite() {
        Graph g = ModelZoo.build("alexnet");
        Executor ex = Executor.create(g);
        try (Arena arena = Arena.ofConfined()) {
            Tensor first = ex.run(arena, randomInput(arena, 5));
            float[] before = first.toLogicalArray();
            ex.run(arena, randomInput(arena, 6));
            assertThat(first.toLogicalArray()).containsExactly(before);
        }
    }
}
