package io.coedge.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.tensor.Tensor;
import io.coedge.zoo.ModelZoo;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The four zoo models split across 1 to 8 devices give the one-device answer (max abs diff within
 * 1e-5 of max |ref|, identical top-5) and count exactly what their geometry predicts. The heavy
 * matrix: VGG-16 alone is ~31 GFLOPs per run, so it gets few runs; the small models get the sweep.
 * Uses the fastest kernel provider on the class path (reference in core's own tests).
 */
class ZooPartitionTest {

    record Case(int devices, String partition, Sync sync, int tail) {
    }

    private static Plan plan(Case c) {
        List<String> names = Plan.deviceNames(c.devices());
        Plan p;
        if (c.partition().equals("zero-one")) {
            // a random split, then one device with no rows and one with a single row
            int[] r = Plan.random(names, 224, c.devices() * 31L, c.sync()).rows();
            int moved = r[1] + (r[2] - 1);
            r[1] = 0;
            r[2] = 1;
            r[0] += moved;
            if (r[0] < 0) {
                r[3] += r[0];
                r[0] = 0;
            }
            p = Plan.explicit(names, r, c.sync());
        } else {
            p = Plan.fromSpec(c.partition(), names, 224, c.sync());
        }
        return p.withTail(names.get(c.tail()));
    }

    private static void check(String model, List<Case> cases) {
        Graph g = ModelZoo.build(model);
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Nets.randomInput(arena, g.inputs().get(0).shape(), 2024);
            Tensor ref = Executor.create(g).run(arena, in);
            float tol = 1e-5f * Nets.maxAbs(ref);
            int[] refTop = top5(ref);
            // a zero or flat reference would make the tolerance zero-width and the top-5 arbitrary but equal
            float[] logits = ref.toLogicalArray();
            float sixth = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < logits.length; i++) {
                final int idx = i;
                if (Arrays.stream(refTop).noneMatch(t -> t == idx)) {
                    sixth = Math.max(sixth, logits[i]);
                }
            }
            assertThat(logits[refTop[4]] - sixth).as("%s: gap between the 5th and 6th logit", model).isGreaterThan(tol);
            for (Case c : cases) {
                Plan plan = plan(c);
                PartitionedExecutor px = PartitionedExecutor.create(g, plan);
                PartitionedExecutor.Result r = px.run(arena, in);
                assertThat(Nets.maxAbsDiff(ref, r.output())).as("%s %s", model, plan).isLessThanOrEqualTo(tol);
                assertThat(top5(r.output())).as("top-5 of %s %s", model, plan).containsExactly(refTop);
                assertThat(r.counted().difference(px.geometry().predicted())).as("%s %s", model, plan).isNull();
                if (plan.sync().isEvery()) {
                    assertThat(r.counted().totalFlops()).isEqualTo(g.totalFlops());
                }
            }
        }
    }

    static int[] top5(Tensor logits) {
        float[] v = logits.toLogicalArray();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(v[b], v[a]));
        return Arrays.stream(idx, 0, 5).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void alexnetSplitAcrossOneToEightDevicesEqualsOneDevice() {
        List<Case> cases = new ArrayList<>();
        for (int n = 1; n <= 8; n++) {
            Sync s = n % 2 == 0 ? Sync.fused(2) : Sync.every();
            cases.add(new Case(n, n >= 4 ? "zero-one" : "random:" + n, s, n - 1));
        }
        cases.add(new Case(4, "equal", Sync.fused(4), 0));
        check("alexnet", cases);
    }

    @Test
    void resnet18SplitEqualsOneDevice() {
        check("resnet18", List.of(new Case(1, "equal", Sync.every(), 0), new Case(2, "random:3", Sync.fused(2), 1),
                new Case(4, "equal", Sync.every(), 0), new Case(6, "zero-one", Sync.every(), 2),
                new Case(8, "random:8", Sync.fused(3), 5)));
    }

    @Test
    void googlenetSplitEqualsOneDevice() {
        check("googlenet", List.of(new Case(3, "random:1", Sync.every(), 0), new Case(4, "equal", Sync.fused(2), 3),
                new Case(5, "zero-one", Sync.fused(4), 1), new Case(8, "zero-one", Sync.every(), 7)));
    }

    @Test
    void vgg16SplitEqualsOneDevice() {
        check("vgg16", List.of(new Case(4, "equal", Sync.every(), 0), new Case(5, "zero-one", Sync.fused(2), 4),
                new Case(8, "zero-one", Sync.every(), 7)));
    }
}
