import subprocess
import sys
from pathlib import Path

import pytest
import torch

from explainer import cache
from explainer.data import ImageDataset, moon_pair, moon_phases
from explainer.models import Autoencoder, ModelConfig
from explainer.train import (
    FitResult,
    History,
    TrainedModel,
    TrainingConfig,
    evaluate,
    fit,
    train_model,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ModelConfig(kind="vae", input_dim=784, latent_dim=2, hidden_dims=(32,))


def tiny_dataset() -> ImageDataset:
    x = moon_phases(24)
    labels = torch.arange(24)
    return ImageDataset("moons-test", 28, x[::2].clone(), labels[::2],
                        x[1::2].clone(), labels[1::2])


def test_training_lowers_the_loss():
    x = moon_pair()
    for cfg in [SMALL, ModelConfig(kind="ae", latent_dim=1, hidden_dims=(32,)),
                ModelConfig(kind="noisy_ae", latent_dim=1, hidden_dims=(32,), noise_scale=0.5),
                ModelConfig(kind="linear_ae", latent_dim=1)]:
        result = fit(Autoencoder(cfg), x, training=TrainingConfig(epochs=60, batch_size=2, lr=1e-2))
        h = result.history
        assert h.train_total[-1] < h.train_total[0], cfg.kind
        assert len(h.epoch) == 60 and h.epoch[-1] == 60


def test_same_seed_gives_identical_history_and_weights():
    data = tiny_dataset()
    runs = []
    for _ in range(2):
        model = Autoencoder(SMALL, seed=1)
        result = fit(model, data.x_train, x_test=data.x_test,
                     training=TrainingConfig(epochs=5, batch_size=4), seed=7)
        runs.append(result)
    a, b = runs
    for key in ("train_total", "test_total", "train_kl", "test_reconstruction"):
        assert getattr(a.history, key) == getattr(b.history, key)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    other = fit(Autoencoder(SMALL, seed=1), data.x_train,
                training=TrainingConfig(epochs=5, batch_size=4), seed=8)
    assert other.history.train_total != a.history.train_total


def test_history_records_terms_and_adds_up():
    data = tiny_dataset()
    h = fit(Autoencoder(SMALL), data.x_train, x_test=data.x_test,
            training=TrainingConfig(epochs=3, batch_size=4)).history
    for split in ("train", "test"):
        last = h.last(split)
        assert last["total"] == pytest.approx(last["reconstruction"] + last["kl"], rel=1e-5)
    assert h.seconds == sorted(h.seconds)
    assert History.from_dict(h.to_dict()) == h


def test_callback_sees_every_epoch_and_can_stop():
    seen = []

    def callback(epoch, model, history):
        seen.append((epoch, len(history.epoch)))
        return False if epoch == 3 else None

    fit(Autoencoder(SMALL), moon_pair(), training=TrainingConfig(epochs=10, batch_size=2),
        callback=callback)
    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_warm_start_continues_epochs_and_optimizer():
    x = moon_pair()
    first = fit(Autoencoder(SMALL), x, training=TrainingConfig(epochs=4, batch_size=2))
    step_before = first.optimizer.state_dict()["state"][0]["step"].item()
    second = fit(first.model, x, training=TrainingConfig(epochs=3, batch_size=2), resume=first)
    assert second.history.epoch == [1, 2, 3, 4, 5, 6, 7]
    assert second.optimizer.state_dict()["state"][0]["step"].item() == step_before + 3


def test_warm_start_with_the_generator_equals_one_long_run():
    data = tiny_dataset()
    whole = fit(Autoencoder(SMALL, seed=2), data.x_train,
                training=TrainingConfig(epochs=6, batch_size=4), seed=5)
    first = fit(Autoencoder(SMALL, seed=2), data.x_train,
                training=TrainingConfig(epochs=3, batch_size=4), seed=5)
    fork = first.fork()  # a copy continues; ``first`` stays as it was
    second = fit(first.model, data.x_train, training=TrainingConfig(epochs=3, batch_size=4),
                 resume=first)
    assert second.history.train_total == whole.history.train_total
    for pa, pb in zip(second.model.parameters(), whole.model.parameters()):
        assert torch.equal(pa, pb)
    forked = fit(fork.model, data.x_train, training=TrainingConfig(epochs=3, batch_size=4),
                 resume=fork)
    assert forked.history.train_total == whole.history.train_total
    for pa, pb in zip(forked.model.parameters(), whole.model.parameters()):
        assert torch.equal(pa, pb)


def test_a_fork_continues_under_another_beta_and_leaves_the_original_as_it_was():
    data = tiny_dataset()
    first = fit(Autoencoder(SMALL, seed=2), data.x_train,
                training=TrainingConfig(epochs=2, batch_size=4))
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}
    fork = first.fork(SMALL.replace(beta=3.0))
    assert fork.model.config.beta == 3.0 and fork.history.epoch == [1, 2]
    fit(fork.model, data.x_train, training=TrainingConfig(epochs=2, batch_size=4), resume=fork)
    assert fork.history.epoch == [1, 2, 3, 4] and first.history.epoch == [1, 2]
    assert all(torch.equal(v, first.model.state_dict()[k]) for k, v in weights.items())
    with pytest.raises(RuntimeError):  # another architecture cannot take these weights
        first.fork(SMALL.replace(latent_dim=3))


def test_resume_must_continue_this_model_at_its_learning_rate():
    data = tiny_dataset()
    first = fit(Autoencoder(SMALL), data.x_train, training=TrainingConfig(epochs=1, batch_size=4))
    with pytest.raises(TypeError, match="resume must be an explainer.train.FitResult"):
        fit(first.model, data.x_train, resume={"optimizer": first.optimizer})
    with pytest.raises(ValueError, match="resume must be the result of training this model"):
        fit(Autoencoder(SMALL), data.x_train, resume=first)
    stolen = FitResult(Autoencoder(SMALL), first.history, first.optimizer, first.generator)
    with pytest.raises(ValueError, match="resume.optimizer must drive this model's parameters"):
        fit(stolen.model, data.x_train, resume=stolen)
    with pytest.raises(ValueError, match=r"training.lr must equal the resumed optimizer's "
                                         r"learning rate 0.001 \(Adam continues with its own\)"
                                         r", got 0.01"):
        fit(first.model, data.x_train, training=TrainingConfig(lr=1e-2), resume=first)


def test_divergence_names_epoch_and_term():
    model = Autoencoder(ModelConfig(kind="linear_ae", latent_dim=1))
    x = moon_pair() * 1e20  # hopeless scale: the squared error overflows float32
    with pytest.raises(FloatingPointError, match=r"epoch 1: the training \w+ term is (nan|inf)"):
        fit(model, x, training=TrainingConfig(epochs=3, batch_size=2, lr=10.0))


def test_evaluate_is_deterministic():
    data = tiny_dataset()
    model = Autoencoder(SMALL)
    assert evaluate(model, data.x_test, seed=3) == evaluate(model, data.x_test, seed=3)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(epochs=-1), ValueError, r"epochs must be an integer in \[0, inf\]"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(lr=0.0), ValueError, r"lr must be in \(0, inf\]"),
        (dict(lr=float("nan")), ValueError, "lr must be a finite number"),
        (dict(seed=-3), ValueError, "seed"),
        (dict(num_threads=0), ValueError, "num_threads"),
    ],
)
def test_bad_fit_arguments(kwargs, error, match):
    training = {k: kwargs.pop(k) for k in ("epochs", "batch_size", "lr") if k in kwargs}
    with pytest.raises(error, match=match):
        fit(Autoencoder(SMALL), moon_pair(), training=TrainingConfig(**training), **kwargs)
    with pytest.raises(TypeError,
                       match="training must be an explainer.train.TrainingConfig, got dict"):
        fit(Autoencoder(SMALL), moon_pair(), training={"epochs": 1})


def test_bad_data():
    model = Autoencoder(SMALL)
    with pytest.raises(ValueError, match=r"x_train must have shape \(n_samples, 784\)"):
        fit(model, torch.rand(3, 100))
    bad = moon_pair().clone()
    bad[0, 5] = float("nan")
    with pytest.raises(ValueError, match="x_train must be finite: 1 values are NaN"):
        fit(model, bad)
    with pytest.raises(TypeError, match="x_train must be a torch.Tensor or numpy array"):
        fit(model, [[0.0] * 784])
    with pytest.raises(TypeError, match="model must be"):
        fit("vae", moon_pair())


def test_train_model_caches_and_reloads(isolated_cache):
    data = tiny_dataset()
    first = train_model(SMALL, data, training=TrainingConfig(epochs=3, batch_size=4))
    assert not first.from_cache
    again = train_model(SMALL, data, training=TrainingConfig(epochs=3, batch_size=4))
    assert again.from_cache and again.key == first.key
    assert again.history == first.history
    for pa, pb in zip(first.model.parameters(), again.model.parameters()):
        assert torch.equal(pa, pb)
    other = train_model(SMALL.replace(beta=0.5), data,
                        training=TrainingConfig(epochs=3, batch_size=4))
    assert other.key != first.key and not other.from_cache


def test_a_cached_model_continues_training_exactly_as_one_long_run(isolated_cache):
    data = tiny_dataset()
    whole = fit(Autoencoder(SMALL), data.x_train, training=TrainingConfig(epochs=4, batch_size=4),
                x_test=data.x_test)
    train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    cached = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    assert cached.from_cache
    more = cached.result.fork()
    fit(more.model, data.x_train, training=TrainingConfig(epochs=2, batch_size=4),
        x_test=data.x_test, resume=more)
    assert more.history.epoch == [1, 2, 3, 4] and cached.history.epoch == [1, 2]
    assert more.history.train_total == whole.history.train_total
    for pa, pb in zip(more.model.parameters(), whole.model.parameters()):
        assert torch.equal(pa, pb)


def test_a_trained_model_without_optimizer_state_cannot_continue():
    model = Autoencoder(SMALL)
    with pytest.raises(ValueError, match="holds no optimizer state"):
        _ = TrainedModel(model, History(), False, "k").result


def test_a_record_of_another_layout_is_discarded_and_retrained(isolated_cache):
    data = tiny_dataset()
    first = train_model(SMALL, data, training=TrainingConfig(epochs=1, batch_size=4))
    path = cache.model_path(first.key)
    # an older layout: weights and history only
    cache.save_record(path, {"state_dict": first.model.state_dict(),
                             "history": first.history.to_dict()})
    with pytest.warns(RuntimeWarning, match=r"must hold \['state_dict', 'history', 'optimizer', "
                                            r"'generator'\], got \['history', 'state_dict'\]"):
        again = train_model(SMALL, data, training=TrainingConfig(epochs=1, batch_size=4))
    assert not again.from_cache


def test_corrupt_cache_is_reported_once_and_recomputed(isolated_cache):
    data = tiny_dataset()
    first = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    path = cache.model_path(first.key)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.warns(RuntimeWarning, match="checksum does not match"):
        again = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    assert not again.from_cache
    assert again.history.train_total == first.history.train_total
    assert train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4)).from_cache


def test_nothing_half_trained_is_cached(isolated_cache):
    cfg = ModelConfig(kind="linear_ae", latent_dim=1)
    x = moon_pair()
    data = ImageDataset("moons", 28, x, torch.arange(2), x, torch.arange(2))
    before = set(isolated_cache.glob("models/*.pt"))
    with pytest.raises(FloatingPointError):  # a hopeless step size: the weights overflow
        train_model(cfg, data, training=TrainingConfig(epochs=3, batch_size=2, lr=1e10))
    assert set(isolated_cache.glob("models/*.pt")) == before


def test_train_model_checks_input_dim():
    with pytest.raises(ValueError, match="config.input_dim must equal"):
        train_model(ModelConfig(kind="vae", input_dim=64, latent_dim=2), tiny_dataset(),
                    training=TrainingConfig(epochs=1))


@pytest.mark.parametrize("break_cache", ["file_where_folder_should_be", "disk_full"])
def test_train_model_keeps_the_model_when_the_cache_cannot_be_written(tmp_path, monkeypatch,
                                                                      break_cache):
    import errno

    root = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(root))
    if break_cache == "file_where_folder_should_be":
        root.mkdir()
        (root / "models").write_text("not a folder")
    else:
        def disk_full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr("os.replace", disk_full)
    data = tiny_dataset()
    reference = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4),
                            use_cache=False)
    with pytest.warns(RuntimeWarning, match="kept in memory only") as seen:
        first = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
        other = train_model(SMALL.replace(beta=0.5), data,
                            training=TrainingConfig(epochs=2, batch_size=4))
    assert len(seen) == 1
    assert not first.from_cache and not other.from_cache
    assert first.history.train_total == reference.history.train_total
    for pa, pb in zip(first.model.parameters(), reference.model.parameters()):
        assert torch.equal(pa, pb)


def _broken_records(record):
    """Records whose checksum is fine but whose content does not fit SMALL."""
    state, history = record["state_dict"], record["history"]
    other = Autoencoder(SMALL.replace(hidden_dims=(16,))).state_dict()
    missing = {k: v for k, v in list(state.items())[1:]}
    return {
        "no state_dict": {"history": history},
        "wrong shapes": {"state_dict": other, "history": history},
        "missing weights": {"state_dict": missing, "history": history},
        "state_dict not a dict": {"state_dict": [1.0, 2.0], "history": history},
        "history not a dict": {"state_dict": state, "history": [1.0, 2.0]},
        "history with other keys": {"state_dict": state, "history": {"loss": [1.0]}},
        "history of unequal lengths": {"state_dict": state,
                                       "history": {**history, "train_kl": [1.0]}},
        "not a dict": [state, history],
    }


@pytest.mark.parametrize("broken", list(_broken_records({"state_dict": {}, "history": {}})))
def test_a_record_with_unexpected_content_is_reported_once_and_retrained(tmp_path, monkeypatch,
                                                                         broken):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    data = tiny_dataset()
    first = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    path = cache.model_path(first.key)
    cache.save_record(path, _broken_records(cache.load_record(path))[broken])
    with pytest.warns(RuntimeWarning, match="unusable") as seen:
        again = train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4))
    assert len(seen) == 1, [str(w.message) for w in seen]
    assert not again.from_cache
    assert again.history.train_total == first.history.train_total
    assert train_model(SMALL, data, training=TrainingConfig(epochs=2, batch_size=4)).from_cache


def test_history_from_dict_refuses_what_to_dict_never_writes():
    good = History(epoch=[1], seconds=[0.1], train_reconstruction=[1.0], train_kl=[0.5],
                   train_total=[1.5]).to_dict()
    assert History.from_dict(good).to_dict() == good
    with pytest.raises(ValueError, match="keys"):
        History.from_dict({"loss": [1.0]})
    with pytest.raises(ValueError, match="keys"):
        History.from_dict([1.0])
    with pytest.raises(TypeError, match="train_kl must be a list of numbers"):
        History.from_dict({**good, "train_kl": "0.5"})
    with pytest.raises(ValueError, match="one value per epoch"):
        History.from_dict({**good, "train_kl": [0.5, 0.4]})
    with pytest.raises(ValueError, match="one value per epoch"):
        History.from_dict({**good, "test_kl": [0.5]})


def test_a_record_whose_moments_do_not_fit_is_discarded_and_retrained(isolated_cache):
    data = tiny_dataset()
    first = train_model(SMALL, data, training=TrainingConfig(epochs=1, batch_size=4))
    path = cache.model_path(first.key)
    record = {"state_dict": first.model.state_dict(), "history": first.history.to_dict(),
              "optimizer": first.result.optimizer.state_dict(),
              "generator": first.generator.get_state()}
    record["optimizer"]["state"][1]["exp_avg"] = torch.zeros(3)
    cache.save_record(path, record)
    with pytest.warns(RuntimeWarning, match=r"the optimizer state of parameter 1 does not fit "
                                            r"its shape \(32,\)"):
        again = train_model(SMALL, data, training=TrainingConfig(epochs=1, batch_size=4))
    assert not again.from_cache


def test_a_cached_model_builds_its_adam_only_when_training_continues(isolated_cache):
    # the first Adam of a process imports torch._dynamo (1.1-1.6 s, 76 MB): a kernel that
    # only reads cached models never pays it; continuing training builds it, moments intact
    script = (
        "import sys\n"
        "from tests.test_train import SMALL, tiny_dataset\n"
        "from explainer.train import TrainingConfig, fit, train_model\n"
        "training = TrainingConfig(epochs=1, batch_size=4)\n"
        "cached = train_model(SMALL, tiny_dataset(), training=training)\n"
        "assert cached.from_cache\n"
        "print('torch._dynamo' in sys.modules)\n"
        "result = cached.result\n"
        "step = result.optimizer.state_dict()['state'][0]['step'].item()\n"
        "fit(result.model, tiny_dataset().x_train, training=training, resume=result)\n"
        "print('torch._dynamo' in sys.modules, step,\n"
        "      result.optimizer.state_dict()['state'][0]['step'].item())\n")
    train_model(SMALL, tiny_dataset(), training=TrainingConfig(epochs=1, batch_size=4))
    # (the cache folder and the reproducible mode reach the child through the environment)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert out == ["False", "True", "3.0", "6.0"]
