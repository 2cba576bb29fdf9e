"""ModuleList and ModuleDict: submodules held in a list or a dict, each registered.

A plain Python list or dict of layers assigned to a module is invisible to ``parameters()``,
``state_dict()`` and ``train()``; these containers register every entry as a submodule (named
``"0"``, ``"1"``, ... or by its key), as PyTorch's do. They have no ``forward``: the module that
holds them says how its entries are called.
"""

from mlplab.nn.module import Module


def _check_module(owner, what, value):
    """Raise TypeError unless ``value`` is a Module."""
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: {what} is a {type(value).__name__}, not a Module")


class ModuleList(Module):
    """Submodules in a list, registered as ``"0"``, ``"1"``, ...: PyTorch's ``nn.ModuleList``.

    Supports ``len``, iteration, indexing (negative too), slicing (a new ModuleList sharing the
    modules), ``list[i] = module``, ``del list[i]`` (the rest are renumbered), ``append``,
    ``extend``, ``insert`` and ``+=``.

    Parameters
    ----------
    modules : iterable of Module, optional
        The initial entries.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _name(self, index):
        """The registered name of position ``index`` (negative counts from the end)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"ModuleList indices must be integers or slices, not {index!r}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a ModuleList of {len(self)}")
        return str(index % len(self))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._name(index)]

    def __setitem__(self, index, module):
        _check_module("ModuleList", "the value", module)
        self._modules[self._name(index)] = module

    def __delitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[int(self._name(index))]
        self._renumber(modules)

    def _renumber(self, modules):
        """Register ``modules`` as the entries "0", "1", ..., in order."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        _check_module("ModuleList", "the appended value", module)
        self._modules[str(len(self))] = module
        return self

    def extend(self, modules):
        """Add every module of ``modules`` at the end; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, ModuleList):
            raise TypeError("ModuleList.extend takes an iterable of Modules, not one Module")
        modules = list(modules)
        for i, module in enumerate(modules):
            _check_module("ModuleList", f"entry {i}", module)
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (as ``list.insert``)."""
        _check_module("ModuleList", "the inserted value", module)
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])


class ModuleDict(Module):
    """Submodules by name, registered under their keys: PyTorch's ``nn.ModuleDict``.

    Keeps insertion order; supports ``len``, iteration over the keys, ``in``, ``dict[key]``
    (reading, assigning, deleting), ``keys``, ``values``, ``items``, ``pop``, ``clear`` and
    ``update``.

    Parameters
    ----------
    modules : mapping or iterable of (str, Module) pairs, optional
        The initial entries.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    @staticmethod
    def _check_key(key):
        """Raise TypeError/KeyError unless ``key`` can name a submodule."""
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {key!r}")
        if not key or "." in key:
            raise KeyError(f"ModuleDict key {key!r} must be non-empty and contain no '.'")

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self._check_key(key)
        _check_module("ModuleDict", f"the value for {key!r}", module)
        self._modules[key] = module

    def __delitem__(self, key):
        del self._modules[key]

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """(key, module) pairs, in insertion order."""
        return self._modules.items()

    def pop(self, key):
        """Remove the entry ``key`` and return its module."""
        return self._modules.pop(key)

    def clear(self):
        """Remove every entry."""
        self._modules.clear()

    def update(self, modules):
        """Add or replace entries from a mapping or an iterable of (key, module) pairs."""
        pairs = list(modules.items()) if hasattr(modules, "items") else list(modules)
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: entry {i} is not a (key, module) pair")
        for key, module in pairs:
            self[key] = module
