package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PlanReportTest {
    private static PlanReport report() {
        return PlanReport.of(TestTables.vgg16(), DeviceProfiles.resolve("rpi4b,jetson-nano,rpi3b+"), 2.0,
                Planner.Objective.ENERGY);
    }

    @Test
    void jsonHasTheAgreedShapeWithEveryStrategyAndDevice() {
        String json = report().toJson();
        assertThat(json).startsWith("{\"model\":\"vgg16\",\"deadlineMs\":2000,\"strategies\":[{\"name\":\"coedge\",\"feasible\":");
        for (String s : Baselines.NAMES) {
            assertThat(json).contains("{\"name\":\"" + s + "\",\"feasible\":");
        }
        assertThat(Pattern.compile("\"rows\":\\{\"rpi4b\":\\d+,\"jetson-nano\":\\d+,\"rpi3b\\+\":\\d+\\}").matcher(json).results().count())
                .isEqualTo(5);
        assertThat(json).containsPattern("\"latencyMs\":[0-9.]+,\"energyJ\":[0-9.]+");
        assertThat(json).endsWith("}]}");
    }

    @Test
    void textListsStrategiesSideBySide() {
        String text = report().toText();
        assertThat(text).contains("strategy").contains("latency ms").contains("energy J");
        for (String s : Baselines.NAMES) {
            assertThat(text).containsPattern("(?m)^" + s + " ");
        }
    }

    @Test
    void svgIsOneWellFormedDocumentWithBarsForEveryStrategy() throws Exception {
        String svg = report().toSvg();
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(svg).contains("deadline").contains("energy (J)").contains("latency (ms)");
        for (String s : Baselines.NAMES) {
            assertThat(svg).contains(">" + s + "<");
        }
    }
}
