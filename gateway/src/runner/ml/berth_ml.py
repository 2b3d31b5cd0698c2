# Berth ML: train, score and evaluate scikit-learn models on a CSV dataset.
#
# The gateway sends this whole file to a running Jupyter kernel (ipykernel) in the run's working
# directory, followed by one call line, `berth_ml_main({...})`. So this file must stay ONE
# self-contained source that only defines names (nothing runs at import time), uses only the
# standard library, numpy, pandas and scikit-learn, and prints its progress to stdout (the run's
# log). Every name but berth_ml_main starts with `_bml_`, so that it does not clash with the
# names of a notebook that shares the kernel.
#
# Works with the Debian bookworm versions (scikit-learn 1.2, pandas 1.5, numpy 1.24) and later.

import datetime as _bml_datetime
import json as _bml_json
import math as _bml_math
import os as _bml_os
import pickle as _bml_pickle

_BML_ALGORITHMS = ('logistic_regression', 'linear_regression', 'random_forest', 'gradient_boosting')
_BML_TASKS = ('classification', 'regression')
# A numeric target with at most this many distinct integer values is a classification target
# (for the algorithms that do both).
_BML_MAX_CLASS_VALUES = 20
_BML_MODEL_FORMAT = 'berth-ml/1'


class BerthMlError(ValueError):
    """An error in the spec or the data, whose message says what is wrong and what to do."""


def _bml_log(message):
    print('[ml] ' + message, flush=True)


def _bml_imports():
    """numpy, pandas and scikit-learn, with a clear error when the code env lacks one."""
    missing = []
    modules = {}
    for name, package in (('numpy', 'numpy'), ('pandas', 'pandas'), ('sklearn', 'scikit-learn')):
        try:
            modules[name] = __import__(name)
        except ImportError:
            missing.append(package)
    if missing:
        raise ImportError(
            'berth ml needs ' + ', '.join(missing) + ' in the code env, and the kernel could not import it: '
            'add ' + ' and '.join(missing) + " to the code env's packages (or use a code env that has them)"
        )
    return modules['numpy'], modules['pandas'], modules['sklearn']


# ---------------------------------------------------------------------------------------------
# Spec checks


def _bml_require_str(spec, key, action):
    value = spec.get(key)
    if not isinstance(value, str) or value == '':
        raise BerthMlError("berth ml %s needs '%s' (a non-empty string), got %r" % (action, key, value))
    return value


def _bml_optional_int(spec, key, default, minimum=None):
    value = spec.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise BerthMlError("'%s' must be an integer, got %r" % (key, value))
    value = int(value)
    if minimum is not None and value < minimum:
        raise BerthMlError("'%s' must be at least %d, got %d" % (key, minimum, value))
    return value


def _bml_test_size(spec):
    value = spec.get('testSize')
    if value is None:
        return 0.2
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BerthMlError("'testSize' must be a number: a fraction between 0 and 1 (e.g. 0.2) or a row count, got %r" % (value,))
    if 0 < value < 1:
        return float(value)
    if value >= 1 and int(value) == value:
        return int(value)
    raise BerthMlError("'testSize' must be a fraction between 0 and 1 (e.g. 0.2) or a whole number of rows, got %r" % (value,))


# ---------------------------------------------------------------------------------------------
# Data


def _bml_read_dataset(path):
    _, pd, _ = _bml_imports()
    if not _bml_os.path.isfile(path):
        raise FileNotFoundError(
            'dataset %s not found (paths are relative to the run\'s working directory %s): '
            'check the dataset path and that the file was uploaded with the run' % (path, _bml_os.getcwd())
        )
    try:
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError:
        raise BerthMlError('dataset %s is empty: it needs a header line and at least one row' % path) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise BerthMlError('dataset %s could not be read as CSV (%s): check that it is a UTF-8, comma-separated file '
                        'with a header line' % (path, error)) from None
    if frame.shape[0] == 0:
        raise BerthMlError('dataset %s has a header but no rows: it needs at least one row' % path)
    _bml_log('reading %s: %d rows, %d columns' % (path, frame.shape[0], frame.shape[1]))
    return frame


def _bml_column_kinds(frame, features):
    """Splits the features into numeric and categorical columns (bool counts as numeric)."""
    _, pd, _ = _bml_imports()
    numeric, categorical = [], []
    for name in features:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(name)
        else:
            categorical.append(name)
    return numeric, categorical


def _bml_prepare_features(frame, numeric, categorical):
    """The model's input frame: numeric columns as floats, categorical ones as strings (NaN kept).

    Scoring data is read from its own CSV, whose columns pandas may type differently from the
    training data (e.g. a code column of digits only); this keeps both sides alike.
    """
    np, pd, _ = _bml_imports()
    prepared = pd.DataFrame(index=frame.index)
    for name in numeric:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            values = column.astype(float)
        else:
            values = pd.to_numeric(column, errors='coerce').astype(float)
        unparsed = int((values.isna() & column.notna()).sum())
        if unparsed:
            _bml_log('note: %d values of numeric column %s are not numbers and count as missing' % (unparsed, name))
        prepared[name] = values
    for name in categorical:
        column = frame[name]
        prepared[name] = column.astype(str).where(column.notna(), np.nan).astype(object)
    return prepared[list(numeric) + list(categorical)]


def _bml_is_integer_valued(series):
    np, _, _ = _bml_imports()
    values = series.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(values)) and np.all(np.floor(values) == values))


def _bml_classification_target(series):
    """Class labels as ints (integer-valued numbers), bools, floats or strings."""
    _, pd, _ = _bml_imports()
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool)
    if pd.api.types.is_numeric_dtype(series):
        if _bml_is_integer_valued(series):
            return series.astype('int64')
        return series.astype(float)
    return series.astype(str)


def _bml_labels_like(series, classes):
    """Labels read from another CSV, typed like the model's classes so that they compare equal."""
    _, pd, _ = _bml_imports()
    if classes and all(isinstance(c, str) for c in classes):
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) and _bml_is_integer_valued(series):
            return series.astype('int64').astype(str)
        return series.astype(str)
    if classes and all(isinstance(c, bool) for c in classes):
        if pd.api.types.is_bool_dtype(series):
            return series
        lowered = series.astype(str).str.strip().str.lower()
        return lowered.map({'true': True, '1': True, '1.0': True, 'false': False, '0': False, '0.0': False}).fillna(lowered)
    numeric = pd.to_numeric(series, errors='coerce')
    if numeric.notna().all():
        if all(isinstance(c, int) for c in classes) and _bml_is_integer_valued(numeric):
            return numeric.astype('int64')
        return numeric.astype(float)
    return series


def _bml_infer_task(algorithm, target):
    _, pd, _ = _bml_imports()
    if algorithm == 'logistic_regression':
        return 'classification'
    if algorithm == 'linear_regression':
        return 'regression'
    if pd.api.types.is_bool_dtype(target) or not pd.api.types.is_numeric_dtype(target):
        return 'classification'
    if _bml_is_integer_valued(target) and target.nunique() <= _BML_MAX_CLASS_VALUES:
        return 'classification'
    return 'regression'


# ---------------------------------------------------------------------------------------------
# Models


def _bml_estimator(algorithm, task, params, seed):
    """The sklearn estimator for the algorithm and task, with the user's params checked and set."""
    _bml_imports()
    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.linear_model import LinearRegression, LogisticRegression

    if algorithm == 'logistic_regression':
        if task != 'classification':
            raise BerthMlError("logistic_regression only does classification: use task 'classification', "
                            "or algorithm linear_regression, random_forest or gradient_boosting for regression")
        estimator = LogisticRegression(max_iter=1000, random_state=seed)
    elif algorithm == 'linear_regression':
        if task != 'regression':
            raise BerthMlError("linear_regression only does regression: use task 'regression', "
                            "or algorithm logistic_regression, random_forest or gradient_boosting for classification")
        estimator = LinearRegression()
    elif algorithm == 'random_forest':
        cls = RandomForestClassifier if task == 'classification' else RandomForestRegressor
        estimator = cls(random_state=seed)
    else:
        cls = GradientBoostingClassifier if task == 'classification' else GradientBoostingRegressor
        estimator = cls(random_state=seed)

    valid = sorted(estimator.get_params(deep=False))
    unknown = sorted(name for name in params if name not in valid)
    if unknown:
        raise BerthMlError('unknown parameter%s for %s (%s): %s. Valid parameters: %s' % (
            's' if len(unknown) > 1 else '', algorithm, type(estimator).__name__, ', '.join(unknown), ', '.join(valid)))
    if params:
        estimator.set_params(**params)
    return estimator


def _bml_pipeline(estimator, algorithm, numeric, categorical):
    _bml_imports()
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    linear = algorithm in ('logistic_regression', 'linear_regression')
    transformers = []
    if numeric:
        steps = [('impute', SimpleImputer(strategy='median'))]
        if linear:
            steps.append(('scale', StandardScaler()))
        transformers.append(('numeric', Pipeline(steps), list(numeric)))
    if categorical:
        transformers.append(('categorical', Pipeline([
            ('impute', SimpleImputer(strategy='most_frequent')),
            ('onehot', OneHotEncoder(handle_unknown='ignore')),
        ]), list(categorical)))
    preprocess = ColumnTransformer(transformers, remainder='drop')
    return Pipeline([('preprocess', preprocess), ('model', estimator)])


def _bml_encoded_widths(pipeline, numeric, categorical):
    """How many encoded columns each input feature became, in the order the model sees them."""
    widths = [(name, 1) for name in numeric]
    if categorical:
        preprocess = pipeline.named_steps['preprocess']
        encoder = preprocess.named_transformers_['categorical'].named_steps['onehot']
        widths += [(name, len(categories)) for name, categories in zip(categorical, encoder.categories_)]
    return widths


def _bml_feature_importances(pipeline, numeric, categorical):
    """Importance per ORIGINAL input column: one-hot parts summed, sorted by importance, highest first."""
    np, _, _ = _bml_imports()
    model = pipeline.named_steps['model']
    if hasattr(model, 'feature_importances_'):
        raw = np.asarray(model.feature_importances_, dtype=float)
    else:
        coef = np.asarray(model.coef_, dtype=float)
        raw = np.abs(coef) if coef.ndim == 1 else np.abs(coef).mean(axis=0)
    widths = _bml_encoded_widths(pipeline, numeric, categorical)
    if sum(width for _, width in widths) != raw.shape[0]:
        raise RuntimeError('berth ml: %d encoded columns but the model has %d importances (a bug in berth_ml.py: '
                           'please report it with the dataset\'s column types)' % (sum(w for _, w in widths), raw.shape[0]))
    result = []
    start = 0
    for name, width in widths:
        result.append({'feature': name, 'importance': float(raw[start:start + width].sum())})
        start += width
    result.sort(key=lambda item: (-item['importance'], item['feature']))
    return result


# ---------------------------------------------------------------------------------------------
# Metrics


def _bml_classification_metrics(pipeline, X, y, classes):
    np, _, _ = _bml_imports()
    from sklearn import metrics as skm

    predicted = pipeline.predict(X)
    metrics = {'task': 'classification', 'accuracy': skm.accuracy_score(y, predicted)}
    for average in ('macro', 'weighted'):
        precision, recall, f1, _ = skm.precision_recall_fscore_support(y, predicted, average=average, zero_division=0)
        metrics['precision_' + average] = precision
        metrics['recall_' + average] = recall
        metrics['f1_' + average] = f1
    known = set(classes)
    seen = [label for label in _bml_unique(y) if label not in known]
    labels = list(classes) + seen
    if seen:
        _bml_log('note: labels the model never saw in training: %s (they count as errors)' % ', '.join(map(str, seen)))
    if hasattr(pipeline, 'predict_proba') and not seen:
        proba = pipeline.predict_proba(X)
        if len(classes) == 2 and len(_bml_unique(y)) == 2:
            metrics['roc_auc'] = skm.roc_auc_score(np.asarray(y) == classes[1], proba[:, 1])
        metrics['log_loss'] = skm.log_loss(y, proba, labels=list(classes))
    matrix = skm.confusion_matrix(y, predicted, labels=labels)
    metrics['confusionMatrix'] = {'labels': labels, 'matrix': matrix.tolist()}
    return metrics


def _bml_regression_metrics(pipeline, X, y):
    np, _, _ = _bml_imports()
    from sklearn import metrics as skm

    predicted = pipeline.predict(X)
    return {
        'task': 'regression',
        'r2': skm.r2_score(y, predicted) if len(y) > 1 else float('nan'),
        'rmse': float(np.sqrt(skm.mean_squared_error(y, predicted))),
        'mae': skm.mean_absolute_error(y, predicted),
    }


def _bml_unique(values):
    """Distinct values in first-seen order, as plain Python values."""
    seen = []
    found = set()
    for value in _bml_plain(list(values)):
        if value not in found:
            found.add(value)
            seen.append(value)
    return seen


def _bml_plain(value):
    """A JSON-safe copy: numpy scalars and arrays as Python values, NaN and infinities as None."""
    np, _, _ = _bml_imports()
    if isinstance(value, dict):
        return {str(key): _bml_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_bml_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _bml_plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not _bml_math.isfinite(value):
        return None
    return value


def _bml_summary(metrics):
    """The metrics' scalar values (no confusion matrix), for model.json."""
    return {key: value for key, value in metrics.items() if not isinstance(value, (dict, list))}


def _bml_headline(metrics):
    if metrics.get('task') == 'classification':
        return 'accuracy %.3f' % metrics['accuracy']
    r2 = metrics.get('r2')
    return 'r2 %s, rmse %.4g, mae %.4g' % ('n/a' if r2 is None else '%.3f' % r2, metrics['rmse'], metrics['mae'])


# ---------------------------------------------------------------------------------------------
# Output


def _bml_output_dir(spec, action):
    path = _bml_require_str(spec, 'outputDir', action)
    _bml_os.makedirs(path, exist_ok=True)
    return path


def _bml_write_json(directory, name, value):
    path = _bml_os.path.join(directory, name)
    with open(path, 'w', encoding='utf-8') as handle:
        _bml_json.dump(_bml_plain(value), handle, indent=2, allow_nan=False)
        handle.write('\n')
    _bml_log('wrote ' + path)
    return path


def _bml_load_model(spec, action):
    import sklearn

    path = _bml_require_str(spec, 'model', action)
    if not _bml_os.path.isfile(path):
        raise FileNotFoundError('model %s not found (paths are relative to the run\'s working directory %s): '
                                'check the model name and version' % (path, _bml_os.getcwd()))
    with open(path, 'rb') as handle:
        try:
            model = _bml_pickle.load(handle)
        except Exception as error:
            raise BerthMlError('model %s could not be loaded (%s: %s): it must be a model.pkl written by `berth ml train`, '
                            'with a compatible scikit-learn' % (path, type(error).__name__, error)) from None
    if not isinstance(model, dict) or 'pipeline' not in model or 'features' not in model:
        raise BerthMlError('%s is not a berth ml model (no pipeline and features in it): use a model.pkl written by '
                        '`berth ml train`' % path)
    trained_with = model.get('sklearnVersion')
    if trained_with and trained_with != sklearn.__version__:
        _bml_log('note: model trained with scikit-learn %s, this code env has %s' % (trained_with, sklearn.__version__))
    _bml_log('loaded %s: %s %s model %s v%s on %d features' % (
        path, model.get('algorithm'), model.get('task'), model.get('modelName'), model.get('version'), len(model['features'])))
    return model


def _bml_check_features(frame, model, dataset):
    missing = [name for name in model['features'] if name not in frame.columns]
    if missing:
        raise BerthMlError('%s is missing the model\'s feature column%s %s (the model was trained on %s; the dataset has %s): '
                        'add them to the dataset' % (dataset, 's' if len(missing) > 1 else '', ', '.join(missing),
                                                     ', '.join(model['features']), ', '.join(map(str, frame.columns))))


def _bml_drop_missing_target(frame, target):
    missing = int(frame[target].isna().sum())
    if missing:
        _bml_log('dropped %d rows with no %s value' % (missing, target))
        frame = frame[frame[target].notna()]
    if frame.shape[0] == 0:
        raise BerthMlError('no row of the dataset has a value in target column %s' % target)
    return frame


# ---------------------------------------------------------------------------------------------
# Actions


def _bml_train(spec):
    np, pd, sklearn = _bml_imports()
    from sklearn.model_selection import train_test_split

    dataset = _bml_require_str(spec, 'dataset', 'train')
    target = _bml_require_str(spec, 'target', 'train')
    algorithm = _bml_require_str(spec, 'algorithm', 'train')
    if algorithm not in _BML_ALGORITHMS:
        raise BerthMlError('unknown algorithm %r: use one of %s' % (algorithm, ', '.join(_BML_ALGORITHMS)))
    task = spec.get('task')
    if task is not None and task not in _BML_TASKS:
        raise BerthMlError("unknown task %r: use 'classification' or 'regression', or leave it out to infer it" % (task,))
    params = spec.get('params') or {}
    if not isinstance(params, dict):
        raise BerthMlError("'params' must be an object of estimator parameters, got %r" % (params,))
    test_size = _bml_test_size(spec)
    seed = _bml_optional_int(spec, 'seed', 0, minimum=0)
    version = _bml_optional_int(spec, 'version', 1, minimum=1)
    model_name = spec.get('modelName') or 'model'
    if not isinstance(model_name, str):
        raise BerthMlError("'modelName' must be a string, got %r" % (model_name,))

    frame = _bml_read_dataset(dataset)
    columns = [str(name) for name in frame.columns]
    frame.columns = columns
    if target not in columns:
        raise BerthMlError('target column %s is not in %s: its columns are %s' % (target, dataset, ', '.join(columns)))
    features = spec.get('features')
    if features is None:
        features = [name for name in columns if name != target]
    else:
        if not isinstance(features, list) or not all(isinstance(name, str) for name in features) or not features:
            raise BerthMlError("'features' must be a non-empty list of column names, got %r" % (features,))
        missing = [name for name in features if name not in columns]
        if missing:
            raise BerthMlError('feature column%s %s not in %s: its columns are %s' % (
                's' if len(missing) > 1 else '', ', '.join(missing), dataset, ', '.join(columns)))
        if target in features:
            raise BerthMlError('the target column %s is also listed in features: leave it out of features' % target)
        features = list(dict.fromkeys(features))
    frame = _bml_drop_missing_target(frame, target)
    empty = [name for name in features if frame[name].isna().all()]
    if empty:
        _bml_log('note: column%s %s %s no values and %s not used' % (
            's' if len(empty) > 1 else '', ', '.join(empty), 'have' if len(empty) > 1 else 'has', 'are' if len(empty) > 1 else 'is'))
        features = [name for name in features if name not in empty]
    if not features:
        raise BerthMlError('no feature column with values is left: the dataset needs at least one column besides the target')

    if task is None:
        task = _bml_infer_task(algorithm, frame[target])
    if task == 'classification':
        y = _bml_classification_target(frame[target])
        classes_seen = y.nunique()
        if classes_seen < 2:
            raise BerthMlError('target column %s has a single value (%s): classification needs at least two classes' % (
                target, _bml_plain(y.iloc[0])))
        if classes_seen > 0.5 * len(y) and classes_seen > _BML_MAX_CLASS_VALUES:
            _bml_log('note: target %s has %d distinct values for %d rows: did you mean task regression?' % (
                target, classes_seen, len(y)))
    else:
        y = pd.to_numeric(frame[target], errors='coerce')
        bad = frame[target][y.isna()]
        if len(bad):
            raise BerthMlError("target column %s has non-numeric values (e.g. %r): regression needs a numeric target; for "
                            "labels use task 'classification' with logistic_regression, random_forest or gradient_boosting"
                            % (target, _bml_plain(bad.iloc[0])))
        y = y.astype(float)

    numeric, categorical = _bml_column_kinds(frame, features)
    for name in categorical:
        distinct = frame[name].nunique()
        if distinct > 50 and distinct > 0.5 * frame.shape[0]:
            _bml_log('note: column %s has %d distinct values for %d rows and looks like an identifier: '
                     'leave it out with features if it is one' % (name, distinct, frame.shape[0]))
    X = _bml_prepare_features(frame, numeric, categorical)

    estimator = _bml_estimator(algorithm, task, params, seed)
    pipeline = _bml_pipeline(estimator, algorithm, numeric, categorical)

    test_rows = test_size if isinstance(test_size, int) else int(_bml_math.ceil(test_size * len(y)))
    if test_rows >= len(y) or len(y) - test_rows < 2:
        raise BerthMlError('the dataset has %d rows, too few to hold out %s for testing: use more rows or a smaller testSize' % (
            len(y), test_size))
    stratify = None
    if task == 'classification':
        counts = y.value_counts()
        if counts.min() >= 2 and test_rows >= len(counts) and len(y) - test_rows >= len(counts):
            stratify = y
        else:
            _bml_log('note: some classes are too rare to split evenly: the hold-out split is not stratified')
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=stratify)
    empty_in_train = [name for name in numeric if X_train[name].isna().all()]
    if empty_in_train:
        raise BerthMlError('column%s %s %s no values in the training rows (only in the hold-out): '
                        'use a larger dataset or leave %s out with features' % (
                            's' if len(empty_in_train) > 1 else '', ', '.join(empty_in_train),
                            'have' if len(empty_in_train) > 1 else 'has', 'them' if len(empty_in_train) > 1 else 'it'))

    _bml_log('training %s (%s) on %d rows, %d features (%d numeric, %d categorical)' % (
        algorithm, task, len(y_train), len(features), len(numeric), len(categorical)))
    try:
        pipeline.fit(X_train, y_train)
    except ValueError as error:
        raise BerthMlError('training %s failed: %s' % (algorithm, error)) from error

    classes = _bml_plain(list(pipeline.classes_)) if task == 'classification' else None
    if task == 'classification':
        metrics = _bml_classification_metrics(pipeline, X_test, y_test, classes)
    else:
        metrics = _bml_regression_metrics(pipeline, X_test, y_test)
    metrics['evaluatedOn'] = 'holdout'
    metrics['trainRows'] = int(len(y_train))
    metrics['testRows'] = int(len(y_test))
    metrics = _bml_plain(metrics)
    _bml_log('hold-out ' + _bml_headline(metrics))

    importances = _bml_feature_importances(pipeline, numeric, categorical)
    top = ', '.join('%s %.3g' % (item['feature'], item['importance']) for item in importances[:5])
    _bml_log('top features: ' + top)

    output_dir = _bml_output_dir(spec, 'train')
    model = {
        'format': _BML_MODEL_FORMAT,
        'pipeline': pipeline,
        'features': list(features),
        'numericFeatures': list(numeric),
        'categoricalFeatures': list(categorical),
        'target': target,
        'task': task,
        'algorithm': algorithm,
        'params': _bml_plain(params),
        'classes': classes,
        'modelName': model_name,
        'version': version,
        'sklearnVersion': sklearn.__version__,
    }
    model_path = _bml_os.path.join(output_dir, 'model.pkl')
    with open(model_path, 'wb') as handle:
        _bml_pickle.dump(model, handle, protocol=4)
    _bml_log('wrote ' + model_path)
    _bml_write_json(output_dir, 'metrics.json', metrics)
    _bml_write_json(output_dir, 'feature_importances.json', importances)
    _bml_write_json(output_dir, 'model.json', {
        'modelName': model_name,
        'version': version,
        'algorithm': algorithm,
        'estimator': type(estimator).__name__,
        'task': task,
        'params': params,
        'features': list(features),
        'numericFeatures': list(numeric),
        'categoricalFeatures': list(categorical),
        'target': target,
        'classes': classes,
        'metrics': _bml_summary(metrics),
        'trainedRows': metrics['trainRows'],
        'testRows': metrics['testRows'],
        'testSize': test_size,
        'seed': seed,
        'dataset': dataset,
        'sklearnVersion': sklearn.__version__,
        'pandasVersion': pd.__version__,
        'numpyVersion': np.__version__,
        'trainedAt': _bml_datetime.datetime.now(_bml_datetime.timezone.utc).isoformat(timespec='seconds'),
    })
    return metrics


def _bml_score(spec):
    model = _bml_load_model(spec, 'score')
    dataset = _bml_require_str(spec, 'dataset', 'score')
    frame = _bml_read_dataset(dataset)
    frame.columns = [str(name) for name in frame.columns]
    _bml_check_features(frame, model, dataset)
    X = _bml_prepare_features(frame, model.get('numericFeatures', []), model.get('categoricalFeatures', []))
    pipeline = model['pipeline']
    _bml_log('scoring %d rows with %s v%s' % (frame.shape[0], model.get('modelName'), model.get('version')))
    output = frame.copy()
    taken = [name for name in output.columns if name == 'prediction' or str(name).startswith('proba_')]
    if taken:
        _bml_log('note: the dataset\'s column%s %s %s replaced by the predictions' % (
            's' if len(taken) > 1 else '', ', '.join(taken), 'are' if len(taken) > 1 else 'is'))
        output = output.drop(columns=taken)
    output['prediction'] = pipeline.predict(X)
    if model.get('task') == 'classification' and hasattr(pipeline, 'predict_proba'):
        proba = pipeline.predict_proba(X)
        for index, label in enumerate(model.get('classes') or pipeline.classes_):
            output['proba_%s' % (label,)] = proba[:, index]
    output_dir = _bml_output_dir(spec, 'score')
    path = _bml_os.path.join(output_dir, 'predictions.csv')
    output.to_csv(path, index=False)
    _bml_log('wrote %s: %d rows' % (path, output.shape[0]))
    return {'rows': int(output.shape[0]), 'outputFile': path}


def _bml_evaluate(spec):
    model = _bml_load_model(spec, 'evaluate')
    dataset = _bml_require_str(spec, 'dataset', 'evaluate')
    frame = _bml_read_dataset(dataset)
    frame.columns = [str(name) for name in frame.columns]
    target = model['target']
    if target not in frame.columns:
        raise BerthMlError('evaluate needs labelled data: target column %s is not in %s, whose columns are %s '
                        '(use score for unlabelled data)' % (target, dataset, ', '.join(frame.columns)))
    _bml_check_features(frame, model, dataset)
    frame = _bml_drop_missing_target(frame, target)
    X = _bml_prepare_features(frame, model.get('numericFeatures', []), model.get('categoricalFeatures', []))
    pipeline = model['pipeline']
    _bml_log('evaluating %s v%s on %d rows' % (model.get('modelName'), model.get('version'), frame.shape[0]))
    if model.get('task') == 'classification':
        y = _bml_labels_like(frame[target], model.get('classes') or [])
        metrics = _bml_classification_metrics(pipeline, X, y, model.get('classes') or _bml_plain(list(pipeline.classes_)))
    else:
        _, pd, _ = _bml_imports()
        y = pd.to_numeric(frame[target], errors='coerce')
        bad = frame[target][y.isna()]
        if len(bad):
            raise BerthMlError('target column %s has non-numeric values (e.g. %r): the model does regression' % (
                target, _bml_plain(bad.iloc[0])))
        metrics = _bml_regression_metrics(pipeline, X, y.astype(float))
    metrics['evaluatedOn'] = 'dataset'
    metrics['rows'] = int(frame.shape[0])
    metrics['modelName'] = model.get('modelName')
    metrics['version'] = model.get('version')
    metrics = _bml_plain(metrics)
    _bml_log(_bml_headline(metrics))
    _bml_write_json(_bml_output_dir(spec, 'evaluate'), 'metrics.json', metrics)
    return metrics


def berth_ml_main(spec):
    """Runs one `berth ml` action (spec['action']: train, score or evaluate) and returns its result.

    train returns the hold-out metrics, score {rows, outputFile}, evaluate the metrics on the
    whole dataset. Errors raise with a message that says what is wrong and what to do.
    """
    if not isinstance(spec, dict):
        raise BerthMlError('berth_ml_main takes a spec dict, got %s' % type(spec).__name__)
    action = spec.get('action')
    actions = {'train': _bml_train, 'score': _bml_score, 'evaluate': _bml_evaluate}
    if action not in actions:
        raise BerthMlError('unknown action %r: use train, score or evaluate' % (action,))
    known = {
        'train': {'action', 'dataset', 'outputDir', 'target', 'algorithm', 'task', 'params', 'testSize', 'seed',
                  'features', 'modelName', 'version'},
        'score': {'action', 'dataset', 'outputDir', 'model'},
        'evaluate': {'action', 'dataset', 'outputDir', 'model'},
    }[action]
    ignored = sorted(str(key) for key in spec if key not in known)
    if ignored:
        _bml_log('note: %s ignores %s' % (action, ', '.join(ignored)))
    return actions[action](spec)
