"""Loaders as projects write them; tests/yaml_load.rs fixes a copy of this file
with `remediate fix --unsafe-fixes` and judges both with the real PyYAML."""
import yaml
from yaml import unsafe_load


def no_loader(text):
    return yaml.load(text)


def full_loader(text):
    return yaml.load(text, Loader=yaml.FullLoader)


def unsafe_loader(text):
    return yaml.load(text, Loader=yaml.UnsafeLoader)


def plain_loader(text):
    return yaml.load(text, yaml.Loader)


def full_shortcut(text):
    return yaml.full_load(text)


def unsafe_shortcut(text):
    return unsafe_load(text)
