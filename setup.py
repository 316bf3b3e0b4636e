"""Build script: the C++/CUDA ops and the ``mmrefine/.mim`` package data.

Metadata lives in ``pyproject.toml``. Environment switches (as mmcv's):

* ``MMREFINE_WITH_OPS=0`` skips the compiled ops (the PyTorch reference is
  used at run time).
* ``FORCE_CUDA=1`` builds the CUDA kernels even when no GPU is visible;
  otherwise they are built only when ``torch.cuda.is_available()``.
"""
import glob
import os
import os.path as osp
import shutil
import sys
from setuptools import setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')


def add_mim_extension():
    """Expose configs/ and tools/ as ``mmrefine/.mim/`` for ``mim train``.

    Editable installs get symbolic links (edits show up at once), wheels and
    sdists get copies, as mmdet and mmyolo do.
    """
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'symlink'
    elif any(
            cmd in sys.argv
            for cmd in ('sdist', 'bdist_wheel', 'install', 'build_py')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(ROOT, 'mmrefine', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for item in MIM_ITEMS:
        src, dst = osp.join(ROOT, item), osp.join(mim_path, item)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        else:
            (shutil.copytree if osp.isdir(src) else shutil.copyfile)(src, dst)


def get_extensions():
    if os.getenv('MMREFINE_WITH_OPS', '1') == '0':
        return []
    csrc = osp.join('mmrefine', 'ops', 'csrc')
    sources = glob.glob(osp.join(csrc, 'pytorch', '*.cpp')) + \
        glob.glob(osp.join(csrc, 'pytorch', 'cpu', '*.cpp'))
    if not sources:
        return []
    import torch
    from torch.utils.cpp_extension import CppExtension, CUDAExtension

    define_macros = []
    extra_compile_args = {'cxx': ['-O3']}  # the C++ standard is torch's
    extra_link_args = []
    if sys.platform.startswith('linux'):
        # at::parallel_for only runs in parallel in an OpenMP-built extension
        extra_compile_args['cxx'].append('-fopenmp')
        extra_link_args.append('-fopenmp')
    if torch.cuda.is_available() or os.getenv('FORCE_CUDA', '0') == '1':
        define_macros.append(('MMREFINE_WITH_CUDA', None))
        extra_compile_args['nvcc'] = ['-O3']
        sources += glob.glob(osp.join(csrc, 'pytorch', 'cuda', '*.cu'))
        extension = CUDAExtension
    else:
        extension = CppExtension
    return [
        extension(
            name='mmrefine._ext',
            sources=sorted(sources),
            include_dirs=[osp.abspath(osp.join(csrc, 'common'))],
            define_macros=define_macros,
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args)
    ]


if __name__ == '__main__':
    add_mim_extension()
    ext_modules = get_extensions()
    cmdclass = {}
    if ext_modules:
        from torch.utils.cpp_extension import BuildExtension
        cmdclass['build_ext'] = BuildExtension
    setup(
        ext_modules=ext_modules,
        cmdclass=cmdclass,
        include_package_data=True,
        package_data={
            'mmrefine': [
                '.mim/configs/**/*', '.mim/tools/**/*', '.mim/tools/*',
                '.mim/model-index.yml'
            ]
        },
        zip_safe=False)
