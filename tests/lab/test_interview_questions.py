"""Tests of the lab experiment interview-questions: each question answered by its experiment."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import interview_questions


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interview-questions")
    return lab.run(interview_questions.EXPERIMENT, quick=True, out=folder)


def test_every_claim_holds_and_each_question_is_answered(result):
    assert result.held, [claim.statement for claim in result.failed]
    for question in (*interview_questions.QUESTIONS.values(), "How do dropout and pooling differ?"):
        assert question in result.answer


def test_the_settling_experiments_claims_are_carried_over(result):
    for name, question in interview_questions.QUESTIONS.items():
        settled = lab.read_result(result.folder / name)
        carried = [c for c in result.claims if c.statement.startswith(f"{question} ({name})")]
        assert [c.values for c in carried] == [c.values for c in settled.claims], name
        assert result.numbers[f"{name}_answer"] == settled.answer
        assert (result.folder / name / "report.html").is_file()


def test_dropout_adds_noise_and_keeps_the_size_while_pooling_shrinks_without_noise(result):
    numbers = result.numbers
    assert numbers["dropout_output_size"] == numbers["input_size"] == 64
    assert numbers["pooling_output_size"] == 16 and numbers["pooling_parameters"] == 0
    assert numbers["dropout_train_calls_differ"] is True
    assert numbers["dropout_eval_max_change"] == 0.0
    assert numbers["pooling_repeat_max_change"] == 0.0
    assert find_claim(result, "the ensemble reading").values["mean |ensemble - input|"] < 0.05


def test_figures_and_reports(result):
    assert_figures_and_reports(result, ["dropout-and-pooling"])
