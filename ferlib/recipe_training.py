"""How a run of the modern recipe trains: its optimiser, loss, learning-rate schedule,
early stopping and augmentation, read from its :class:`~ferlib.config.RunConfig`.

:func:`training_recipe` returns ``None`` for a config whose recipe fields all keep the
paper's values (:data:`ferlib.identity.LEGACY_VALUES`): :func:`ferlib.training.fit` then
runs exactly the code every committed run was trained with. Otherwise it returns a
:class:`TrainingRecipe`, which the loop asks for the optimiser and loss
(:meth:`TrainingRecipe.compile`), the rate of each epoch
(:meth:`TrainingRecipe.learning_rate`, :mod:`ferlib.schedule`), whether to stop
(:meth:`TrainingRecipe.stops`), the targets of the loss (:meth:`TrainingRecipe.targets`)
and the model behind the augmenter (:meth:`TrainingRecipe.trainer`). Every decision reads
the validation history only.

Sources: SGD with Nesterov momentum 0.9, weight decay 1e-4, a plateau schedule
(factor 0.75, patience 5), flips, crops, rotation, random erasing and ten-crop testing are
the recipe of usef-kh/fer (Khaireddin and Chen 2021, "Facial Emotion Recognition:
State of the Art Performance on FER2013", arXiv:2105.03588), whose schedule watched
PrivateTest; ours watches PublicTest (validation) only. Label smoothing is Szegedy et al.
2016 ("Rethinking the Inception Architecture", CVPR). oarriaga/face_classification
(mini-Xception, Keras) trains with Adam, flips, rotation of 10 degrees, shifts and zoom
of 10% and a plateau schedule on the validation loss.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from ferlib import schedule as schedules
from ferlib.config import RunConfig
from ferlib.identity import LEGACY_VALUES
from ferlib.recipe_augment import recipe_training_model, ten_crop_proba
from ferlib.training import predict_proba

#: The config fields a :class:`TrainingRecipe` reads (``tta`` is read at evaluation).
RECIPE_FIELDS = ("optimizer", "momentum", "weight_decay", "schedule", "plateau_factor", "plateau_patience",
                 "min_learning_rate", "early_stopping", "label_smoothing", "augmentation", "flip",
                 "crop_padding", "rotation_degrees", "erasing")


@dataclasses.dataclass(frozen=True)
class TrainingRecipe:
    """How a recipe run trains, read from its config: the fields of :data:`RECIPE_FIELDS`,
    ``learning_rate`` (the first epoch's rate) and ``epochs``.

    ``config``: the run's :class:`~ferlib.config.RunConfig` (every field it leaves out
    keeps the paper's value).
    """

    config: RunConfig

    def make_optimizer(self):
        """Adam, or SGD with Nesterov momentum, at the config's ``learning_rate``, with decoupled
        weight decay when it is above 0 (Keras applies ``w -= rate * decay * w`` each step)."""
        config = self.config
        decay = config.weight_decay or None
        if config.optimizer == "sgd-nesterov":
            return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum, nesterov=True,
                                        weight_decay=decay)
        if config.optimizer == "adam":
            return keras.optimizers.Adam(learning_rate=config.learning_rate, weight_decay=decay)
        raise ValueError(f"optimizer must be 'adam' or 'sgd-nesterov', got {config.optimizer!r}")

    def loss(self):
        """The cross-entropy; with label smoothing, on one-hot targets (:meth:`targets`)."""
        if self.config.label_smoothing:
            return keras.losses.CategoricalCrossentropy(label_smoothing=self.config.label_smoothing)
        return "sparse_categorical_crossentropy"

    def compile(self, trainer, steps_per_execution: int = 1) -> None:
        """Compile ``trainer`` with this recipe's optimiser and loss, and accuracy."""
        trainer.compile(optimizer=self.make_optimizer(), loss=self.loss(), metrics=["accuracy"],
                        steps_per_execution=steps_per_execution)

    def targets(self, labels, classes: int) -> np.ndarray:
        """The loss's targets for ``(n,)`` int labels: the labels themselves, or their
        ``(n, classes)`` float32 one-hot rows when label smoothing is on (Keras smooths
        them in the loss)."""
        labels = np.asarray(labels)
        if not self.config.label_smoothing:
            return labels
        return np.eye(classes, dtype=np.float32)[labels]

    def learning_rate_of(self, epoch: int, val_scores) -> float:
        """The rate of 0-based ``epoch`` from the validation accuracies before it."""
        config = self.config
        return schedules.epoch_learning_rate(config.schedule, epoch, val_scores, rate=config.learning_rate,
                                             epochs=config.epochs, factor=config.plateau_factor,
                                             patience=config.plateau_patience, min_rate=config.min_learning_rate)

    def set_learning_rate(self, trainer, epoch: int, val_scores) -> float:
        """Set ``trainer``'s optimiser to the rate of ``epoch``; returns it."""
        rate = self.learning_rate_of(epoch, val_scores)
        trainer.optimizer.learning_rate = rate
        return rate

    def stops(self, val_scores) -> bool:
        """Whether training stops after the epochs of ``val_scores`` (:func:`ferlib.schedule.should_stop`)."""
        return schedules.should_stop(val_scores, self.config.early_stopping)

    @property
    def own_augmentation(self) -> bool:
        """Whether this recipe augments with its own augmenter (else the paper's, or none)."""
        return self.config.augmentation == "recipe"

    def trainer(self, model, *, seed: int):
        """``model`` behind the recipe's augmenter (:func:`ferlib.recipe_augment.recipe_training_model`)."""
        config = self.config
        return recipe_training_model(model, seed=seed, flip=config.flip, crop_padding=config.crop_padding,
                                     rotation_degrees=config.rotation_degrees, erasing=config.erasing)


def training_recipe(config) -> TrainingRecipe | None:
    """The :class:`TrainingRecipe` of ``config``, or ``None`` when every field of
    :data:`RECIPE_FIELDS` keeps its legacy value (the paper's training, unchanged)."""
    if all(getattr(config, name) == LEGACY_VALUES[name] for name in RECIPE_FIELDS):
        return None
    return TrainingRecipe(config)


def evaluation_predictor(config):
    """``predict(model, images) -> (n, 7)`` probabilities for the stored val and test
    predictions of ``config``: one view per image, or the mean of ten crops
    (:func:`ferlib.recipe_augment.ten_crop_proba`) when ``config.tta == "ten-crop"``,
    reflected by ``config.crop_padding`` pixels (4 unless the recipe sets another)."""
    if config.tta == "none":
        return predict_proba
    if config.tta == "ten-crop":
        padding = config.crop_padding or 4
        return lambda model, images: ten_crop_proba(model, images, padding=padding)
    raise ValueError(f"tta must be 'none' or 'ten-crop', got {config.tta!r}")
