package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfilerTest {
    @Test
    void everyLayerTypeHasABenchmarkGraphOfThatType() {
        for (LayerType t : LayerType.values()) {
            var g = Profiler.benchmarkGraph(t);
            assertThat(g.nodes()).hasSize(1);
            assertThat(LayerCostTable.typeOf(g, g.nodes().get(0))).as(t.key()).isEqualTo(t);
            assertThat(g.totalFlops()).isPositive();
        }
    }

    @Test
    void aProfileRunMeasuresEveryTypeAndWritesAFileTheDeviceParserReads(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        DeviceProfile p = Profiler.profile("this-host", DeviceProfiles.preset("desktop"), new Profiler.Options(1, 0, 0.2),
                lines::add);
        assertThat(lines).hasSize(LayerType.values().length);
        assertThat(p.rates()).hasSize(LayerType.values().length);
        assertThat(p.rates().values()).allSatisfy(r -> assertThat(r).isPositive().isFinite());
        assertThat(p.sources().get("rates")).contains("measured by coedge profile");
        Path f = dir.resolve("host.yaml");
        Profiler.write(p, f);
        DeviceProfiles.Cluster back = DeviceProfiles.read(f);
        assertThat(back.devices()).hasSize(1);
        DeviceProfile q = back.devices().get(0);
        assertThat(q.name()).isEqualTo("this-host");
        for (LayerType t : LayerType.values()) {
            assertThat(q.rate(t)).isCloseTo(p.rate(t), org.assertj.core.api.Assertions.withinPercentage(0.1));
        }
        assertThat(Files.readString(f)).contains("source.rates");
    }
}
