package io.coedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class CooperativeDemoCommandTest {

    @Test
    void workerCountOutsideOneToEightIsAUserError() {
        RunCommandTest.assertUserError(CliRunner.run("demo", "--workers", "0"), "--workers must be between 1 and 8");
        RunCommandTest.assertUserError(CliRunner.run("demo", "--workers", "9"), "--workers must be between 1 and 8");
    }

    @Test
    void onlyZooModelsRunCooperatively() {
        TestModels.register();
        try {
            RunCommandTest.assertUserError(CliRunner.run("demo", "--workers", "1", "--model", TestModels.CLASSES),
                    "the cooperative demo runs zoo models");
        } finally {
            TestModels.unregister();
        }
    }

    @Test
    @Tag("multiprocess")
    void splitAcrossAWorkerProcessGivesTheOneDeviceAnswer() {
        CliRunner r = CliRunner.run("demo", "--workers", "1", "--repeat", "1");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("CoEdge cooperative demo: resnet18").contains("worker1")
                .contains("same answer as one device");
    }
}
