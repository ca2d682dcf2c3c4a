#!/usr/bin/env python3
"""The textbook's concise training loop (d2l 1st edition, train_and_predict_rnn_pytorch) in PyTorch, as the
reference webrnn's CLI is compared against at full size: same corpus preprocessing, same initial weights, same
consecutive batches, so the per-epoch perplexities of the two should agree closely.

  python3 scripts/torch_reference.py --corpus ../shared/data/jaychou_lyrics.txt --cell gru \
      --epochs 3 --save-init gru-init.safetensors
  npm run train -- --preset jaychou-gru --epochs 3 --init gru-init.safetensors --pred-every 1 --quiet

Needs PyTorch (Debian: apt-get install python3-torch); CPU is enough. Writes the initial weights (PyTorch's
default initialisation, seeded) as .safetensors with the textbook's RNNModel names (rnn.*, dense.*).
"""
import argparse
import json
import math
import struct
import time

import torch
from torch import nn


def char_corpus(path, max_chars):
    """d2l load_data_jay_lyrics; ids in first-appearance order (webrnn's data.charCorpus, mode 'chars')."""
    with open(path, encoding='utf-8') as f:
        text = f.read().replace('\n', ' ').replace('\r', ' ')
    chars = text[:max_chars] if max_chars else text
    idx_to_char = list(dict.fromkeys(chars))
    char_to_idx = {c: i for i, c in enumerate(idx_to_char)}
    return [char_to_idx[c] for c in chars], idx_to_char


def data_iter_consecutive(corpus, batch_size, num_steps):
    """d2l data_iter_consecutive."""
    data = torch.tensor(corpus, dtype=torch.long)
    batch_len = len(data) // batch_size
    indices = data[: batch_size * batch_len].view(batch_size, batch_len)
    for i in range((batch_len - 1) // num_steps):
        i *= num_steps
        yield indices[:, i:i + num_steps], indices[:, i + 1:i + num_steps + 1]


class RNNModel(nn.Module):
    """d2l RNNModel: one-hot input, an nn.RNN/GRU/LSTM, a dense output layer."""

    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.dense = nn.Linear(rnn_layer.hidden_size, vocab_size)

    def forward(self, inputs, state):
        X = nn.functional.one_hot(inputs.T, self.vocab_size).float()  # [T, B, V]
        Y, state = self.rnn(X, state)
        return self.dense(Y.reshape(-1, Y.shape[-1])), state


def grad_clipping(params, theta):
    """d2l grad_clipping: scale every gradient by theta / norm when the global norm exceeds theta."""
    norm = torch.sqrt(sum((p.grad.data ** 2).sum() for p in params))
    if norm > theta:
        for p in params:
            p.grad.data *= theta / norm


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
    raw += b' ' * (-len(raw) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)) + raw + b''.join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--max-chars', type=int, default=10000)
    ap.add_argument('--cell', choices=['rnn', 'gru', 'lstm'], default='gru')
    ap.add_argument('--hidden', type=int, default=256)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--steps', type=int, default=35)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--optimizer', choices=['adam', 'sgd'], default='adam')
    ap.add_argument('--lr', type=float, default=1e-2)
    ap.add_argument('--clip', type=float, default=1e-2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--save-init', help='write the initial weights here (.safetensors)')
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    corpus, idx_to_char = char_corpus(args.corpus, args.max_chars)
    layer = {'rnn': nn.RNN, 'gru': nn.GRU, 'lstm': nn.LSTM}[args.cell](len(idx_to_char), args.hidden)
    model = RNNModel(layer, len(idx_to_char))
    if args.save_init:
        save_safetensors(args.save_init, model.state_dict())
        print(f'initial weights written to {args.save_init}')
    print(f'corpus: {len(corpus)} characters, vocabulary {len(idx_to_char)}; torch {torch.__version__} (CPU)')
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    opt = (torch.optim.Adam if args.optimizer == 'adam' else torch.optim.SGD)(params, lr=args.lr)
    for epoch in range(args.epochs):
        l_sum, n, start, state = 0.0, 0, time.time(), None
        for X, Y in data_iter_consecutive(corpus, args.batch, args.steps):
            if state is not None:  # carried over, cut from the graph
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            output, state = model(X, state)
            y = Y.T.flatten()
            loss = loss_fn(output, y)
            opt.zero_grad()
            loss.backward()
            if args.clip > 0:
                grad_clipping(params, args.clip)
            opt.step()
            l_sum += loss.item() * y.shape[0]
            n += y.shape[0]
        print(f'epoch {epoch + 1}, perplexity {math.exp(l_sum / n):.6f}, time {time.time() - start:.2f} sec')


if __name__ == '__main__':
    main()
